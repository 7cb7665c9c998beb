;;; emacs_workspace.el --- formatting and go-to-definition through eglot or lsp-mode -*- lexical-binding: t; -*-

;; Run: emacs --batch -l emacs_workspace.el   (not -Q: Debian's elpa packages)
;; Environment: N3_CLIENT ("eglot" or "lsp-mode"), N3_EDITORS, N3_URL, N3_SERVER_CMD, N3_TIMEOUT,
;; N3_MESSY / N3_FORMATTED (files: text to type, what the formatter makes of it).
;; The current directory is a project (.git) holding format.ai and the three-file workspace
;; models.ai, tools.ai, agents.ai.  Checks, each an "N3RESULT" line:
;;   format-buffer   `eglot-format-buffer' / `lsp-format-buffer' formats the buffer;
;;   format-on-save  the before-save hook of editors/README.md formats the file written;
;;   definition      `xref-find-definitions' on `fast_llm' in agents.ai opens models.ai on line 2.

(require 'package)
(package-initialize)
(load (expand-file-name "emacs_helpers.el" (file-name-directory load-file-name)) nil t)

(defvar n3-client (intern (getenv "N3_CLIENT")))

(setq debug-on-error nil)
(if (eq n3-client 'eglot)
    (progn
      (require 'eglot)
      (setq eglot-sync-connect 10 eglot-autoreconnect nil eglot-events-buffer-size 0))
  (require 'lsp-mode)
  (setq lsp-auto-guess-root t lsp-restart 'ignore lsp-enable-snippet nil
        lsp-keep-workspace-alive nil lsp-enable-file-watchers nil
        lsp-headerline-breadcrumb-enable nil lsp-lens-enable nil lsp-modeline-code-actions-enable nil
        lsp-diagnostics-provider :none lsp-completion-provider :none))
(require 'xref)

(add-to-list 'load-path (expand-file-name "emacs" (getenv "N3_EDITORS")))
(require 'namel3ss-mode)
(setq namel3ss-lsp-command (append (json-read-from-string (getenv "N3_SERVER_CMD")) nil)
      namel3ss-settings (list :ollama (list :baseUrl (getenv "N3_URL"))))

;; Format on save, as editors/README.md says.
(if (eq n3-client 'eglot)
    (add-hook 'eglot-managed-mode-hook
              (lambda ()
                (when (derived-mode-p 'namel3ss-mode)
                  (add-hook 'before-save-hook #'eglot-format-buffer nil t))))
  (add-hook 'lsp-after-open-hook
            (lambda ()
              (when (derived-mode-p 'namel3ss-mode)
                (add-hook 'before-save-hook #'lsp-format-buffer nil t)))))

(defun n3-read (file)
  (with-temp-buffer (insert-file-contents file) (buffer-string)))

(defun n3-connect ()
  (if (eq n3-client 'eglot)
      (pcase-let ((`(,modes ,project ,class ,contact ,language-id) (eglot--guess-contact)))
        (unless (eglot-current-server)
          (eglot modes project class contact language-id))
        (n3-wait (lambda () (and (eglot-current-server) eglot--managed-mode))))
    (lsp)
    (n3-wait (lambda () (and (bound-and-true-p lsp-mode) (lsp-workspaces)
                             (eq (lsp--workspace-status (car (lsp-workspaces))) 'initialized))))))

(defun n3-format-buffer ()
  (if (eq n3-client 'eglot) (eglot-format-buffer) (lsp-format-buffer)))

(condition-case err
    (let ((messy (n3-read (getenv "N3_MESSY")))
          (formatted (n3-read (getenv "N3_FORMATTED"))))
      (find-file (expand-file-name "format.ai"))
      (n3-result "attach" (n3-connect) major-mode)
      ;; The command.
      (erase-buffer)
      (insert messy)
      (n3-format-buffer)
      (n3-result "format-buffer" (equal (buffer-string) formatted) (buffer-string))
      ;; On save.
      (erase-buffer)
      (insert messy)
      (save-buffer)
      (n3-result "format-on-save" (equal (n3-read buffer-file-name) formatted) (n3-read buffer-file-name))
      ;; Go to definition (xref), into a file that was never opened.
      (find-file (expand-file-name "agents.ai"))
      (n3-connect)
      (goto-char (point-min))
      (re-search-forward "llm: \\(fast_llm\\)")
      (goto-char (match-beginning 1))
      (let ((target (expand-file-name "models.ai"))
            (start (current-buffer)))
        (n3-result "models-not-open" (null (get-file-buffer target)) (buffer-list))
        ;; The index of the files on disk is built in the background: ask again until it answers.
        (n3-wait (lambda ()
                   (condition-case nil
                       (progn (xref-find-definitions (xref-backend-identifier-at-point (xref-find-backend)))
                              (not (eq (current-buffer) start)))
                     (error nil))))
        (n3-result "definition"
                   (and (equal buffer-file-name target) (= (line-number-at-pos) 2)
                        (looking-at "fast_llm"))
                   (list buffer-file-name (line-number-at-pos) (current-column))))
      (ignore-errors
        (if (eq n3-client 'eglot)
            (eglot-shutdown (eglot-current-server) nil 2)
          (lsp-workspace-shutdown (car (lsp-workspaces))))))
  (error (n3-result "driver-error" nil err)))
(n3-emit "N3DONE")
(kill-emacs 0)
