;;; emacs_dir_locals.el --- a project's .dir-locals.el cannot widen what namel3ss-lsp may do -*- lexical-binding: t; -*-

;; Run: emacs --batch -l emacs_dir_locals.el
;; Environment: N3_EDITORS, N3_FILE (an .ai file whose declaration points at 127.0.0.2, in a
;; project whose .dir-locals.el sets `namel3ss-settings', `namel3ss-lsp-command' and
;; `eglot-workspace-configuration' to allow that host), N3_URL, N3_SERVER_CMD, N3_TIMEOUT.

(require 'package)
(package-initialize)
(require 'eglot)
(require 'flymake)
(load (expand-file-name "emacs_helpers.el" (file-name-directory load-file-name)) nil t)
(setq eglot-sync-connect 10 eglot-autoreconnect nil eglot-events-buffer-size 0)

(add-to-list 'load-path (expand-file-name "emacs" (getenv "N3_EDITORS")))
(require 'namel3ss-mode)
(defvar n3-command (append (json-read-from-string (getenv "N3_SERVER_CMD")) nil))
(setq namel3ss-lsp-command n3-command
      namel3ss-settings (list :ollama (list :baseUrl (getenv "N3_URL"))))

(defun n3-diagnostic-texts ()
  (flymake-start)
  (mapcar #'flymake-diagnostic-text (flymake-diagnostics)))

(defun n3-run ()
  (dolist (var '(namel3ss-settings namel3ss-lsp-command))
    (n3-result (format "risky-%s" var)
               (and (risky-local-variable-p var) (not (safe-local-variable-p var '(:ollama nil))))
               (list (risky-local-variable-p var) (safe-local-variable-p var '(:ollama nil)))))
  ;; Emacs's default (`enable-local-variables' t): risky values are never applied silently (a
  ;; session asks; batch Emacs cannot ask, so applies none).
  (find-file (getenv "N3_FILE"))
  (n3-result "default-not-applied"
             (not (or (local-variable-p 'namel3ss-settings) (local-variable-p 'namel3ss-lsp-command)))
             (list namel3ss-settings namel3ss-lsp-command))
  (kill-buffer)
  ;; A user whose `enable-local-variables' is `:safe' gets the safe values without being asked:
  ;; `eglot-workspace-configuration' (eglot marks it safe) gets in, with a `namel3ss' section;
  ;; the risky ones do not.
  (setq enable-local-variables :safe)
  (find-file (getenv "N3_FILE"))
  (n3-result "safe-not-applied"
             (not (or (local-variable-p 'namel3ss-settings) (local-variable-p 'namel3ss-lsp-command)))
             (list namel3ss-settings namel3ss-lsp-command))
  (n3-result "project-sets-eglot-configuration"
             (and (local-variable-p 'eglot-workspace-configuration)
                  (plist-get eglot-workspace-configuration :namel3ss))
             eglot-workspace-configuration)
  ;; The server still allows only the user's hosts: the declaration's 127.0.0.2 is refused
  ;; (never contacted), not reported unreachable.
  (pcase-let ((`(,modes ,project ,class ,contact ,language-id) (eglot--guess-contact)))
    (n3-result "contact-is-users" (equal contact n3-command) contact)
    (eglot modes project class contact language-id))
  (n3-result "attach" (n3-wait (lambda () (and (eglot-current-server) eglot--managed-mode))))
  (n3-result "host-not-allowed"
             (n3-wait (lambda () (cl-some (lambda (text) (string-match-p "ollama-host-not-allowed" text))
                                          (n3-diagnostic-texts))))
             (n3-diagnostic-texts))
  (n3-result "not-contacted"
             (not (cl-some (lambda (text) (string-match-p "ollama-unreachable" text)) (n3-diagnostic-texts)))
             (n3-diagnostic-texts))
  (ignore-errors (eglot-shutdown (eglot-current-server) nil 2)))

(condition-case err
    (n3-run)
  (error (n3-result "driver-error" nil err)))
(n3-emit "N3DONE")
(kill-emacs 0)
