;;; emacs_helpers.el --- shared by the Emacs drivers of tests/editors -*- lexical-binding: t; -*-

;; Environment: N3_OUT (file the results go to; stdout when unset), N3_TIMEOUT (seconds per wait).

(require 'json)
(require 'cl-lib)
(require 'subr-x)

(defvar n3-timeout (string-to-number (or (getenv "N3_TIMEOUT") "20")))

(defvar n3-out (getenv "N3_OUT"))

(defun n3-emit (line)
  "Write LINE to N3_OUT (when Emacs runs on a terminal) or to stdout (batch)."
  (if n3-out
      (let ((coding-system-for-write 'utf-8-unix))
        (write-region (concat line "\n") nil n3-out t 'silent))
    (princ (concat line "\n"))))

(defun n3-result (name ok &optional detail)
  (n3-emit (format "N3RESULT %s"
                   (json-encode (list (cons 'name name) (cons 'ok (if ok t :json-false))
                                      (cons 'detail (let ((print-length 20) (print-level 3))
                                                      (format "%S" detail)))))))
  ok)

(defun n3-wait (pred &optional timeout)
  "Call PRED until non-nil (its value) or TIMEOUT (default `n3-timeout') seconds pass (nil)."
  (let ((deadline (+ (float-time) (or timeout n3-timeout))) value)
    (while (and (not (setq value (funcall pred))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    value))

(defun n3-face-at (regexp &optional group)
  (save-excursion
    (goto-char (point-min))
    (when (re-search-forward regexp nil t)
      (get-text-property (match-beginning (or group 0)) 'face))))

(provide 'emacs_helpers)
;;; emacs_helpers.el ends here
