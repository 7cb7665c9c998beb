;;; emacs_long_commands.el --- namel3ss commands that outlast a request time-out -*- lexical-binding: t; -*-

;; Run on a terminal: emacs -nw -l emacs_long_commands.el (not -Q: Debian's elpa packages).
;; Environment: N3_CLIENT ("eglot" or "lsp-mode"), N3_EDITORS (editors/ folder), N3_FILE (the .ai
;; file, declaring the missing models phi3:mini and qwen2.5:0.5b), N3_URL (stand-in Ollama whose
;; pulls take longer than 10 s), N3_SERVER_CMD (JSON list), N3_OUT, N3_TIMEOUT.
;;
;; At once: `M-x namel3ss-pull-model' on phi3:mini, the quick fix "Pull model 'qwen2.5:0.5b'"
;; through the client's own code-action command, and `namel3ss-remove-model' on mistral:latest,
;; whose confirmation the test answers from the terminal more than 10 s after it appears (the
;; driver writes "N3PROMPT" when it does).  Then everything must have completed: no "Timed out".

(require 'package)
(package-initialize)
(load (expand-file-name "emacs_helpers.el" (file-name-directory load-file-name)) nil t)

(defvar n3-client (intern (getenv "N3_CLIENT")))

(setq debug-on-error nil)
(if (eq n3-client 'eglot)
    (progn
      (require 'eglot)
      (require 'flymake)
      (setq eglot-sync-connect 10 eglot-autoreconnect nil eglot-events-buffer-size 0))
  (require 'lsp-mode)
  (setq lsp-auto-guess-root t lsp-restart 'ignore lsp-enable-snippet nil
        lsp-auto-execute-action nil lsp-keep-workspace-alive nil lsp-enable-file-watchers nil
        lsp-headerline-breadcrumb-enable nil lsp-lens-enable nil lsp-modeline-code-actions-enable nil
        lsp-diagnostics-provider :none lsp-completion-provider :none))

(add-to-list 'load-path (expand-file-name "emacs" (getenv "N3_EDITORS")))
(require 'namel3ss-mode)
(setq namel3ss-lsp-command (append (json-read-from-string (getenv "N3_SERVER_CMD")) nil)
      namel3ss-settings (list :ollama (list :baseUrl (getenv "N3_URL"))))

(defun n3-diagnostic-texts ()
  (if (eq n3-client 'eglot)
      (progn (flymake-start) (mapcar #'flymake-diagnostic-text (flymake-diagnostics)))
    (mapcar (lambda (d) (gethash "message" d)) (lsp--get-buffer-diagnostics))))

(defun n3-missing-p (model)
  (cl-some (lambda (text) (string-match-p (regexp-quote (format "'%s'" model)) text))
           (n3-diagnostic-texts)))

(defun n3-mode-line ()
  (substring-no-properties (format-mode-line mode-line-format)))

(defun n3-messages ()
  (with-current-buffer (messages-buffer) (buffer-substring-no-properties (point-min) (point-max))))

(defun n3-connect ()
  (if (eq n3-client 'eglot)
      (pcase-let ((`(,modes ,project ,class ,contact ,language-id) (eglot--guess-contact)))
        (eglot modes project class contact language-id)
        (n3-wait (lambda () (and (eglot-current-server) eglot--managed-mode))))
    (lsp)
    (n3-wait (lambda () (and (bound-and-true-p lsp-mode) (lsp-workspaces)
                             (eq (lsp--workspace-status (car (lsp-workspaces))) 'initialized))))))

(defun n3-goto (regexp)
  (goto-char (point-min))
  (re-search-forward regexp)
  (beginning-of-line))

(defvar n3-progress-seen nil "Distinct progress texts the mode line showed when redisplayed.")

(defun n3-sample-mode-line (window)
  "On redisplay, note the progress text of WINDOW's mode line (the one the user sees)."
  (when (eq (window-buffer window) (get-file-buffer (getenv "N3_FILE")))
    (let ((line (format-mode-line mode-line-format nil window)))
      (when (string-match "Ollama: Pulling [^ ]+ [0-9]+%" line)
        (cl-pushnew (match-string-no-properties 0 line) n3-progress-seen :test #'equal)))))

(defun n3-on-prompt ()
  (let ((prompt (minibuffer-prompt)))
    (when (and prompt (string-match-p "Remove model 'mistral:latest'" prompt))
      (n3-emit "N3PROMPT remove"))))

(defun n3-run ()
  (find-file (getenv "N3_FILE"))
  (n3-result "mode" (eq major-mode 'namel3ss-mode) major-mode)
  (n3-result "attach" (n3-connect) n3-client)
  (n3-result "diagnostics" (n3-wait (lambda () (and (n3-missing-p "phi3:mini") (n3-missing-p "qwen2.5:0.5b"))))
             (n3-diagnostic-texts))
  (add-hook 'pre-redisplay-functions #'n3-sample-mode-line)
  (add-hook 'minibuffer-setup-hook #'n3-on-prompt)
  ;; 1. M-x namel3ss-pull-model on the phi3:mini line (the prompt offers the model at point).
  (n3-goto "model: phi3:mini")
  (execute-kbd-macro (kbd "M-x namel3ss-pull-model RET RET"))
  ;; 2. The quick fix, through the client's own code-action command.
  (n3-goto "model: qwen2.5:0.5b")
  (search-forward "qwen")
  ;; As if typed: eglot 1.9 pops up a menu when `last-nonmenu-event' is a list (nil in a
  ;; keyboard macro), so the command is called interactively after a key, and the keys that
  ;; pick the action wait in `unread-command-events'.
  (let ((last-nonmenu-event ?\r)
        (completion-styles '(substring basic))
        (unread-command-events (listify-key-sequence (kbd "qwen TAB RET"))))
    (call-interactively (if (eq n3-client 'eglot) #'eglot-code-actions #'lsp-execute-code-action)))
  ;; 3. Remove a model: the server asks; the answer comes from the terminal, late.
  (namel3ss-remove-model "mistral:latest")
  (n3-result "progress-in-mode-line"
             (n3-wait (lambda () (string-match-p "Ollama: Pulling" (n3-mode-line))))
             (n3-mode-line))
  (let ((long 90))
    (n3-result "pull-from-command" (n3-wait (lambda () (not (n3-missing-p "phi3:mini"))) long)
               (n3-diagnostic-texts))
    (n3-result "pull-from-quick-fix" (n3-wait (lambda () (not (n3-missing-p "qwen2.5:0.5b"))) long)
               (n3-diagnostic-texts))
    (n3-result "remove-after-late-answer"
               (n3-wait (lambda () (string-match-p "Removed mistral:latest" (n3-messages))) long)
               (n3-messages)))
  (remove-hook 'pre-redisplay-functions #'n3-sample-mode-line)
  (remove-hook 'minibuffer-setup-hook #'n3-on-prompt)
  ;; Percentages between 0 and 100 were on screen while the pulls ran.
  (n3-result "progress-percentages"
             (cl-some (lambda (s) (string-match-p " [1-9][0-9]?%" s)) n3-progress-seen)
             (reverse n3-progress-seen))
  ;; The server republishes diagnostics just before it answers: wait for the answers too.
  (n3-result "success-messages"
             (n3-wait (lambda () (let ((messages (n3-messages)))
                                   (and (string-match-p "Pulled phi3:mini" messages)
                                        (string-match-p "Pulled qwen2.5:0.5b" messages)))))
             (n3-messages))
  (n3-result "no-time-out" (not (string-match-p "[Tt]imed out" (n3-messages))) (n3-messages))
  (n3-result "mode-line-after"
             (n3-wait (lambda () (string-match-p "Ollama ✓ 3 models" (n3-mode-line))))
             (n3-mode-line))
  (n3-result "progress-cleared" (not (string-match-p "Ollama: " (n3-mode-line))) (n3-mode-line))
  (if (eq n3-client 'eglot)
      (ignore-errors (eglot-shutdown (eglot-current-server) nil 2))
    (ignore-errors (lsp-workspace-shutdown (car (lsp-workspaces))))))

(condition-case err
    (n3-run)
  (error (n3-result "driver-error" nil err)))
(n3-emit "N3DONE")
(kill-emacs 0)
