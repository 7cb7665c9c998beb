;;; emacs_driver.el --- drives Emacs + eglot + namel3ss-mode for tests/editors -*- lexical-binding: t; -*-

;; Run: emacs --batch -l emacs_driver.el   (not -Q: Debian's elpa-eglot lives in the package path)
;; Environment: N3_EDITORS (editors/ folder), N3_FILE (the .ai file), N3_URL (stand-in Ollama),
;; N3_SERVER_CMD (JSON list: the server command), N3_TIMEOUT (seconds per wait).
;; Prints one line per check: "N3RESULT <json>", and "N3DONE" at the end.

(require 'package)
(package-initialize)
(require 'eglot)
(require 'flymake)
(load (expand-file-name "emacs_helpers.el" (file-name-directory load-file-name)) nil t)

(setq debug-on-error nil
      eglot-sync-connect 10
      eglot-autoreconnect nil
      eglot-events-buffer-size 0)

(defun n3-diagnostic-messages ()
  (mapcar #'flymake-diagnostic-text (flymake-diagnostics)))

(defun n3-has-missing-diagnostic ()
  (flymake-start)
  (cl-some (lambda (m) (string-match-p "phi3:mini" m)) (n3-diagnostic-messages)))

(defun n3-run ()
  (add-to-list 'load-path (expand-file-name "emacs" (getenv "N3_EDITORS")))
  (require 'namel3ss-mode)
  (setq namel3ss-lsp-command (append (json-read-from-string (getenv "N3_SERVER_CMD")) nil)
        namel3ss-settings (list :ollama (list :baseUrl (getenv "N3_URL"))))
  (find-file (getenv "N3_FILE"))
  (n3-result "mode" (eq major-mode 'namel3ss-mode) major-mode)
  ;; Syntax: comments, font-lock.
  (font-lock-ensure)
  (n3-result "font-lock"
             (and (eq (n3-face-at "^ai model") 'font-lock-keyword-face)
                  (eq (n3-face-at "^    \\(provider\\):" 1) 'font-lock-variable-name-face)
                  (eq (n3-face-at "llama3:8b") 'font-lock-type-face)
                  (eq (n3-face-at "editor test") 'font-lock-comment-face)
                  (eq (n3-face-at "unbalanced {") 'font-lock-string-face)
                  (eq (n3-face-at "0\\.7") 'font-lock-constant-face))
             (list (n3-face-at "^ai model") (n3-face-at "^    \\(provider\\):" 1)
                   (n3-face-at "llama3:8b") (n3-face-at "editor test")
                   (n3-face-at "unbalanced {") (n3-face-at "0\\.7")))
  (n3-result "comment-start" (equal comment-start "# ") comment-start)
  ;; Attach through eglot-server-programs, the way M-x eglot / eglot-ensure does.
  (let* ((guess (eglot--guess-contact))
         (managed-modes (nth 0 guess))
         (project (nth 1 guess))
         (class (nth 2 guess))
         (contact (nth 3 guess))
         (language-id (nth 4 guess)))
    (n3-result "eglot-contact" (eq class 'namel3ss-eglot-server) (list class contact))
    (eglot managed-modes project class contact language-id))
  (n3-result "attach" (n3-wait (lambda () (and (eglot-current-server) eglot--managed-mode)))
             (and (eglot-current-server) (eglot--server-info (eglot-current-server))))
  (n3-result "diagnostic" (n3-wait #'n3-has-missing-diagnostic) (n3-diagnostic-messages))
  ;; Completion as a user types it: a new `model: ' line in the third declaration.
  (goto-char (point-min))
  (re-search-forward "^ai model third_model")
  (forward-line 1)
  (end-of-line)
  (let ((start (point)))
    (insert "\n")
    (indent-according-to-mode)
    (insert "model: ")
    (let* ((capf (n3-wait (lambda () (eglot-completion-at-point))))
           (items (and capf (all-completions "" (nth 2 capf)))))
      (n3-result "completion"
                 (and (member "llama3:8b" items) (member "mistral:latest" items) t)
                 (mapcar #'substring-no-properties items)))
    (delete-region start (point))
    (set-buffer-modified-p nil))
  ;; Mode line.
  (n3-wait (lambda () (not (string-empty-p (namel3ss-status-text)))))
  (let ((line (substring-no-properties (format-mode-line mode-line-format))))
    (n3-result "mode-line" (string-match-p "Ollama ✓ 2 models" line) (substring-no-properties line)))
  ;; A command: pull the missing model; the diagnostic goes, the mode line counts 3.
  (condition-case err
      (progn
        (goto-char (point-min))
        (re-search-forward "phi3:mini")
        (namel3ss-pull-model "phi3:mini")
        (n3-result "pull-clears-diagnostic"
                   (n3-wait (lambda () (flymake-start) (not (n3-has-missing-diagnostic))))
                   (n3-diagnostic-messages))
        (n3-wait (lambda () (string-match-p "3 models" (namel3ss-status-text))))
        (n3-result "mode-line-after-pull"
                   (string-match-p "Ollama ✓ 3 models" (format-mode-line mode-line-format))
                   (substring-no-properties (format-mode-line mode-line-format))))
    (error (n3-result "pull-clears-diagnostic" nil err)))
  (ignore-errors (eglot-shutdown (eglot-current-server) nil 2)))

(condition-case err
    (n3-run)
  (error (n3-result "driver-error" nil err)))
(n3-emit "N3DONE")
(kill-emacs 0)
