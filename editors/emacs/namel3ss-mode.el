;;; namel3ss-mode.el --- Major mode for Namel3ss .ai files, with namel3ss-lsp through eglot -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "27.1"))
;; Keywords: languages, tools

;;; Commentary:

;; `namel3ss-mode' edits Namel3ss `.ai' files: font-lock (declaration keywords, keys, strings
;; including triple-quoted ones, numbers, booleans, model ids such as `llama3:8b'), `#' comments
;; and brace-based indentation.  With eglot it talks to `namel3ss-lsp' (completion of the models
;; installed on your Ollama server, missing-model diagnostics, code actions that pull models) and
;; shows the Ollama status the server sends (`namel3ss/ollamaStatus') in the mode line:
;;
;;   (add-to-list 'load-path "/path/to/namel3ss-lsp/editors/emacs")
;;   (require 'namel3ss-mode)
;;   (setq namel3ss-settings '(:ollama (:baseUrl "http://127.0.0.1:11434")))  ; optional
;;   (add-hook 'namel3ss-mode-hook #'eglot-ensure)
;;
;; Files that are really Adobe Illustrator documents (they begin with "%!PS" or "%PDF-") are not
;; opened in this mode.

;;; Code:

(require 'cl-lib)
(require 'subr-x)

(defgroup namel3ss nil
  "Namel3ss .ai files and the namel3ss-lsp language server."
  :group 'languages
  :prefix "namel3ss-")

(defcustom namel3ss-indent-offset 4
  "Indentation per level of braces and brackets."
  :type 'integer
  :safe #'integerp)

(defcustom namel3ss-lsp-command '("namel3ss-lsp")
  "Command (program and arguments) that starts the language server over stdio."
  :type '(repeat string))

(defcustom namel3ss-settings nil
  "Settings for namel3ss-lsp: the `namel3ss' section, as a plist.
For example:
  (:ollama (:baseUrl \"http://127.0.0.1:11434\")
   :diagnostics (:missingModel \"error\"))
Sent as initializationOptions, through didChangeConfiguration
and as the answer to workspace/configuration."
  :type 'sexp)

;;;; Syntax

(defvar namel3ss-mode-syntax-table
  (let ((st (make-syntax-table)))
    (modify-syntax-entry ?# "<" st)
    (modify-syntax-entry ?\n ">" st)
    (modify-syntax-entry ?\" "\"" st)
    (modify-syntax-entry ?\' "\"" st)
    (modify-syntax-entry ?\\ "\\" st)
    (modify-syntax-entry ?_ "_" st)
    (modify-syntax-entry ?- "_" st)
    (modify-syntax-entry ?. "." st)
    (modify-syntax-entry ?: "." st)
    (modify-syntax-entry ?, "." st)
    (modify-syntax-entry ?= "." st)
    (modify-syntax-entry ?/ "." st)
    (modify-syntax-entry ?{ "(}" st)
    (modify-syntax-entry ?} "){" st)
    (modify-syntax-entry ?\[ "(]" st)
    (modify-syntax-entry ?\] ")[" st)
    (modify-syntax-entry ?\( "()" st)
    (modify-syntax-entry ?\) ")(" st)
    st)
  "Syntax table of `namel3ss-mode'.")

(defun namel3ss--stringify-triple ()
  "Mark the triple quote matched at point as a string fence (opening or closing)."
  (let* ((start (match-beginning 0))
         (end (match-end 0))
         (quote-char (char-after start))
         (ppss (save-excursion (syntax-ppss start))))
    (cond
     ((nth 4 ppss) nil)                  ; in a comment
     ((eq (nth 3 ppss) t)                ; in a triple-quoted string: maybe its end
      (when (eq (char-after (nth 8 ppss)) quote-char)
        (put-text-property start (1- end) 'syntax-table (string-to-syntax "."))
        (put-text-property (1- end) end 'syntax-table (string-to-syntax "|"))))
     ((nth 3 ppss) nil)                  ; in an ordinary string
     (t
      (put-text-property start (1+ start) 'syntax-table (string-to-syntax "|"))
      (put-text-property (1+ start) end 'syntax-table (string-to-syntax "."))))))

(defconst namel3ss--syntax-propertize
  (syntax-propertize-rules
   ("\"\"\"\\|'''" (0 (ignore (namel3ss--stringify-triple)))))
  "Triple-quoted strings (they may hold quotes, {{var}} and unbalanced braces).")

;;;; Font lock

(defconst namel3ss-declaration-keywords
  '("app" "page" "llm" "agent" "prompt" "chain" "rag_pipeline" "index" "dataset" "memory" "fn"
    "tool" "connector" "template" "model" "training" "policy" "graph" "knowledge" "query" "frame"
    "theme" "planner" "workflow" "api" "endpoint" "backend" "define" "module" "import" "use")
  "Words that start a declaration header.")

(defconst namel3ss-providers
  '("ollama" "vllm" "local_ai" "lm_studio" "openai" "anthropic" "azure_openai" "google" "vertex"
    "bedrock" "mistral" "cohere")
  "Model providers.")

(defconst namel3ss-model-id-regexp "[[:alnum:]_][[:alnum:]_.:/@+-]*"
  "A model id: one token with `:' `/' `-' `.'.
For example llama3:8b or hf.co/org/Model-GGUF:Q4_K_M.")

(defvar namel3ss-font-lock-keywords
  `(;; `ai model NAME {', `llm NAME {', `app "x" {': keyword and name (not when followed by `:').
    (,(concat "^[ \t]*\\(ai[ \t]+model\\|" (regexp-opt namel3ss-declaration-keywords) "\\)\\_>"
              "\\(?:[ \t]+\\([[:alpha:]_][[:alnum:]_.-]*\\)\\)?[ \t]*\\(?:[^:[:space:]]\\|$\\)")
     (1 font-lock-keyword-face) (2 font-lock-function-name-face nil t))
    ;; Model ids after `model:'.
    (,(concat "\\_<model[ \t]*:[ \t]*[\"']?\\(" namel3ss-model-id-regexp "\\)")
     (1 font-lock-type-face t))
    ;; Providers after `provider:'.
    (,(concat "\\_<provider[ \t]*:[ \t]*[\"']?\\(" (regexp-opt namel3ss-providers) "\\)\\_>")
     (1 font-lock-builtin-face t))
    ;; Keys: `name:' at the start of an entry (not `::').
    ("\\(?:^\\|[{,]\\)[ \t]*\\([[:alpha:]_][[:alnum:]_]*\\)[ \t]*:\\(?:[^:]\\|$\\)"
     (1 font-lock-variable-name-face))
    ;; Statements.
    (,(concat "\\_<" (regexp-opt '("show" "action" "step" "return" "yield" "if" "else" "for"
                                   "while" "in" "try" "catch" "from" "as" "at" "effect" "using")
                                 t)
              "\\_>[ \t]*\\(?:[^:= \t]\\|$\\)")
     (1 font-lock-keyword-face))
    ;; Booleans and null.
    (,(concat "\\_<" (regexp-opt '("true" "false" "True" "False" "null" "none" "None") t) "\\_>")
     (1 font-lock-constant-face))
    ;; Numbers: int, float, exponent, leading minus.
    ("\\(?:^\\|[^[:alnum:]_.:/-]\\)\\(-?[0-9]+\\(?:\\.[0-9]+\\)?\\(?:[eE][-+]?[0-9]+\\)?\\)\\_>"
     (1 font-lock-constant-face))
    ;; {{template}} variables inside strings.
    ("{{[^}\n]*}}" (0 font-lock-preprocessor-face prepend))
    ;; env.NAME references.
    ("\\_<env\\.[[:alpha:]_][[:alnum:]_]*" (0 font-lock-preprocessor-face)))
  "Font-lock rules of `namel3ss-mode'.
Comments and strings come from the syntax table.")

;;;; Indentation

(defun namel3ss-indent-line ()
  "Indent the current line by the depth of enclosing braces and brackets."
  (interactive)
  (let* ((ppss (save-excursion (syntax-ppss (line-beginning-position))))
         (offset (- (current-column) (current-indentation))))
    (unless (nth 3 ppss)                ; inside a (triple-quoted) string: leave it alone
      (let ((depth (car ppss)))
        (save-excursion
          (back-to-indentation)
          (when (looking-at "[]})]")
            (setq depth (1- depth))))
        (indent-line-to (* namel3ss-indent-offset (max depth 0)))
        (when (> offset 0)
          (forward-char offset))))))

;;;; The mode

;;;###autoload
(define-derived-mode namel3ss-mode prog-mode "Namel3ss"
  "Major mode for Namel3ss `.ai' files.
With eglot (`eglot-ensure' in `namel3ss-mode-hook') it uses the
namel3ss-lsp server."
  :syntax-table namel3ss-mode-syntax-table
  (setq-local comment-start "# ")
  (setq-local comment-end "")
  (setq-local comment-start-skip "#+[ \t]*")
  (setq-local comment-use-syntax t)
  (setq-local syntax-propertize-function namel3ss--syntax-propertize)
  (setq-local font-lock-defaults '(namel3ss-font-lock-keywords nil nil nil))
  (setq-local indent-line-function #'namel3ss-indent-line)
  (setq-local indent-tabs-mode nil)
  (setq-local tab-width namel3ss-indent-offset)
  (setq-local electric-indent-chars (append "{}[]" electric-indent-chars))
  (setq-local namel3ss--show-status t))

;;;###autoload
(defun namel3ss-mode-maybe ()
  "Open a `.ai' file in `namel3ss-mode'.
Adobe Illustrator documents (PostScript or PDF) are left alone."
  (if (save-excursion
        (save-restriction
          (widen)
          (goto-char (point-min))
          (looking-at "%!\\|%PDF-")))
      (if (fboundp 'doc-view-mode-maybe) (doc-view-mode-maybe) (fundamental-mode))
    (namel3ss-mode)))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.ai\\'" . namel3ss-mode-maybe))

;;;; Ollama status in the mode line

(defvar-local namel3ss--show-status nil
  "Non-nil in buffers whose mode line shows the Ollama status.")

(defvar namel3ss--status nil
  "Last `namel3ss/ollamaStatus' parameters received (a plist), or nil.")

(defun namel3ss--json-value (v)
  "V, or nil for JSON null and false."
  (unless (memq v '(nil :null :json-false)) v))

(defun namel3ss-status-text (&optional status)
  "Mode-line text for STATUS (default: the last one received).
For example \"Ollama ✓ 2 models\" or \"Ollama unreachable\"."
  (let ((s (or status namel3ss--status)))
    (cond
     ((null s) "")
     ((namel3ss--json-value (plist-get s :reachable))
      (let ((n (namel3ss--json-value (plist-get s :modelsCount))))
        (if (numberp n)
            (format "Ollama ✓ %d model%s" n (if (= n 1) "" "s"))
          "Ollama ✓")))
     (t "Ollama unreachable"))))

(defun namel3ss--status-help ()
  "Tooltip text for the mode-line status."
  (let ((s namel3ss--status))
    (when s
      (string-join
       (delq nil (list (namel3ss--json-value (plist-get s :baseUrl))
                       (when-let ((v (namel3ss--json-value (plist-get s :version))))
                         (format "version %s" v))
                       (namel3ss--json-value (plist-get s :error))
                       (namel3ss--json-value (plist-get s :suggestion))))
       "\n"))))

(defvar namel3ss-mode-line
  '(:eval (let ((text (namel3ss-status-text)))
            (unless (string-empty-p text)
              (list " " (propertize text 'help-echo (namel3ss--status-help))))))
  "Mode-line construct showing the Ollama status.")
(put 'namel3ss-mode-line 'risky-local-variable t)

(add-to-list 'mode-line-misc-info '(namel3ss--show-status namel3ss-mode-line))

;;;; eglot

(defvar eglot-server-programs)
(declare-function eglot-execute-command "eglot")
(declare-function eglot-current-server "eglot")
(declare-function eglot--current-server-or-lose "eglot")
(declare-function jsonrpc-notify "jsonrpc")
(declare-function jsonrpc-request "jsonrpc")

(declare-function object-of-class-p "eieio")
(declare-function namel3ss-eglot-server--eieio-childp "namel3ss-mode")

(defun namel3ss--send-settings (server)
  "After connecting, send `namel3ss-settings' to SERVER (a namel3ss server).
eglot itself sends `eglot-workspace-configuration', usually empty."
  (when (and namel3ss-settings (object-of-class-p server 'namel3ss-eglot-server))
    (jsonrpc-notify server :workspace/didChangeConfiguration
                    (list :settings (list :namel3ss namel3ss-settings)))))

(defun namel3ss--settings-object ()
  "`namel3ss-settings' as a JSON object (an empty one when unset)."
  (or namel3ss-settings (make-hash-table)))

(with-eval-after-load 'eglot
  (defclass namel3ss-eglot-server (eglot-lsp-server) ()
    :documentation "namel3ss-lsp: settings from `namel3ss-settings'.")

  (cl-defmethod eglot-initialization-options ((_server namel3ss-eglot-server))
    (namel3ss--settings-object))

  (cl-defmethod eglot-handle-request ((_server namel3ss-eglot-server)
                                      (_method (eql workspace/configuration)) &key items)
    (let ((answers (cl-call-next-method)))
      (when namel3ss-settings
        (cl-loop for item across items
                 for i from 0
                 when (member (plist-get item :section) '("namel3ss" nil))
                 do (when (memq (aref answers i) '(nil :null))
                      (aset answers i namel3ss-settings))))
      answers))

  (cl-defmethod eglot-handle-notification (_server (_method (eql namel3ss/ollamaStatus))
                                                   &rest params)
    "Remember the Ollama status the server sent and show it in the mode line."
    (setq namel3ss--status params)
    (force-mode-line-update t))

  (add-hook 'eglot-connect-hook #'namel3ss--send-settings 90)

  (add-to-list 'eglot-server-programs
               '(namel3ss-mode . namel3ss-eglot-contact)))

(defun namel3ss-eglot-contact (&optional _interactive)
  "The eglot contact for namel3ss-lsp.
It is `namel3ss-lsp-command' with the class `namel3ss-eglot-server'."
  (cons 'namel3ss-eglot-server namel3ss-lsp-command))

;;;; Commands (workspace/executeCommand, DESIGN.md section 3)

(defun namel3ss--model-at-point ()
  "The model id after the nearest `model:' at or above point."
  (save-excursion
    (end-of-line)
    (when (re-search-backward
           (concat "\\_<model[ \t]*:[ \t]*[\"']?\\(" namel3ss-model-id-regexp "\\)") nil t)
      (match-string-no-properties 1))))

(defun namel3ss--execute (command argument)
  "Run server COMMAND with ARGUMENT (a plist) synchronously; return its result."
  (require 'eglot)
  (jsonrpc-request (eglot--current-server-or-lose) :workspace/executeCommand
                   (list :command command :arguments (vector (or argument (make-hash-table))))))

(defun namel3ss-pull-model (model)
  "Pull MODEL into Ollama (progress shows in the mode line)."
  (interactive (list (read-string "Pull model: " (namel3ss--model-at-point))))
  (namel3ss--execute "namel3ss.ollama.pullModel" (list :model model))
  (message "Pulled %s" model))

(defun namel3ss-remove-model (model)
  "Remove MODEL from Ollama (the server asks for confirmation)."
  (interactive (list (read-string "Remove model: " (namel3ss--model-at-point))))
  (let ((result (namel3ss--execute "namel3ss.ollama.removeModel" (list :model model))))
    (message (if (namel3ss--json-value (plist-get result :removed)) "Removed %s" "Kept %s") model)))

(defun namel3ss-status ()
  "Show the Ollama server status."
  (interactive)
  (let ((s (namel3ss--execute "namel3ss.ollama.status" nil)))
    (message "Ollama at %s: %s"
             (namel3ss--json-value (plist-get s :base_url))
             (if (namel3ss--json-value (plist-get s :reachable))
                 (format "reachable, %s models" (plist-get s :models_count))
               (format "unreachable: %s" (namel3ss--json-value (plist-get s :error)))))))

(defun namel3ss-refresh ()
  "Re-read the Ollama models and re-check the open files."
  (interactive)
  (namel3ss--execute "namel3ss.ollama.refresh" nil))

(provide 'namel3ss-mode)
;;; namel3ss-mode.el ends here
