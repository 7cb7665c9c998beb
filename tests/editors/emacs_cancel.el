;;; emacs_cancel.el --- `namel3ss-cancel' stops a running pull -*- lexical-binding: t; -*-

;; Run: emacs --batch -l emacs_cancel.el
;; Environment: N3_EDITORS, N3_FILE, N3_URL (a stand-in whose pulls are slow), N3_SERVER_CMD.

(require 'package)
(package-initialize)
(require 'eglot)
(load (expand-file-name "emacs_helpers.el" (file-name-directory load-file-name)) nil t)
(setq eglot-sync-connect 10 eglot-autoreconnect nil eglot-events-buffer-size 0)
(add-to-list 'load-path (expand-file-name "emacs" (getenv "N3_EDITORS")))
(require 'namel3ss-mode)
(setq namel3ss-lsp-command (append (json-read-from-string (getenv "N3_SERVER_CMD")) nil)
      namel3ss-settings (list :ollama (list :baseUrl (getenv "N3_URL"))))
(defun n3-messages ()
  (with-current-buffer (messages-buffer) (buffer-substring-no-properties (point-min) (point-max))))
(condition-case err
    (progn
      (find-file (getenv "N3_FILE"))
      (pcase-let ((`(,modes ,project ,class ,contact ,language-id) (eglot--guess-contact)))
        (eglot modes project class contact language-id))
      (n3-wait (lambda () (and (eglot-current-server) eglot--managed-mode)))
      (namel3ss-pull-model "phi3:mini")
      (n3-result "progress" (n3-wait (lambda () namel3ss--progress)) namel3ss--progress)
      (namel3ss-cancel)
      (n3-result "cancelled" (n3-wait (lambda () (string-match-p "cancelled" (n3-messages)))) (n3-messages))
      (n3-result "cleared" (and (null namel3ss--progress) (null namel3ss--running))
                 (list namel3ss--progress namel3ss--running))
      (ignore-errors (eglot-shutdown (eglot-current-server) nil 2)))
  (error (n3-result "driver-error" nil err)))
(n3-emit "N3DONE")
(kill-emacs 0)
