;;; namel3ss-mode.el --- Major mode for Namel3ss .ai files, with namel3ss-lsp through eglot or lsp-mode -*- lexical-binding: t; -*-

;; Version: 0.2.0
;; Package-Requires: ((emacs "27.1"))
;; Keywords: languages, tools

;;; Commentary:

;; `namel3ss-mode' edits Namel3ss `.ai' files: font-lock (declaration keywords, keys, strings
;; including triple-quoted ones, numbers, booleans, model ids such as `llama3:8b'), `#' comments
;; and brace-based indentation.  With eglot or lsp-mode it talks to `namel3ss-lsp' (completion of
;; the models installed on your Ollama server, missing-model diagnostics, code actions that pull
;; models) and shows the Ollama status the server sends (`namel3ss/ollamaStatus') and the
;; progress of pulls in the mode line:
;;
;;   (add-to-list 'load-path "/path/to/namel3ss-lsp/editors/emacs")
;;   (require 'namel3ss-mode)
;;   (setq namel3ss-settings '(:ollama (:baseUrl "http://127.0.0.1:11434")))  ; optional
;;   (add-hook 'namel3ss-mode-hook #'eglot-ensure)    ; or #'lsp-deferred with lsp-mode
;;
;; Commands run asynchronously (a pull may take minutes): `namel3ss-pull-model',
;; `namel3ss-remove-model', `namel3ss-status', `namel3ss-refresh', `namel3ss-cancel'.
;; Files that are really Adobe Illustrator documents (they begin with "%!PS" or "%PDF-") are not
;; opened in this mode.

;;; Code:

(require 'cl-lib)
(require 'subr-x)
(require 'url-util)

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
and as the answer to workspace/configuration.  A project cannot
set it: a `.dir-locals.el' setting it is not applied without
asking you (it is a risky local variable)."
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

;;;; Adobe Illustrator files

;; `.ai' is also the extension of Adobe Illustrator, whose files are PDF or PostScript.  Those
;; are recognised by their first bytes (`magic-mode-alist' is consulted before
;; `auto-mode-alist') and get the mode Emacs would give them without this package.

(defconst namel3ss--illustrator-regexp
  (concat "\\(?:\uFEFF\\|" (string-to-multibyte "\357\273\277") "\\)?[ \t\r\n]*%\\(?:PDF-\\|!PS\\)")
  "How an Illustrator document begins: %PDF- or %!PS.
Maybe after a byte order mark and blank space.")

;;;###autoload
(defun namel3ss-illustrator-file-p ()
  "Non-nil if this buffer visits a `.ai' file that is an Illustrator document."
  (and buffer-file-name
       (let ((case-fold-search t))
         (string-match-p "\\.ai\\'" (file-name-sans-versions buffer-file-name)))
       (save-excursion
         (save-restriction
           (widen)
           (goto-char (point-min))
           (let ((case-fold-search nil))
             (looking-at namel3ss--illustrator-regexp))))))

;;;###autoload
(defun namel3ss-illustrator-mode ()
  "Set the major mode Emacs would choose for this file without `namel3ss-mode'.
For Illustrator files: PostScript ones usually get `ps-mode', PDF ones
`fundamental-mode'.  Our own entries are left out while choosing, so a
mode that falls back to `normal-mode' (`doc-view-mode-maybe' without
image support) cannot come back here."
  (let ((auto-mode-alist
         (cl-remove-if (lambda (entry) (memq (cdr entry) '(namel3ss-mode namel3ss-mode-maybe)))
                       auto-mode-alist))
        (magic-mode-alist (cl-remove 'namel3ss-illustrator-mode magic-mode-alist :key #'cdr)))
    (set-auto-mode)))

;;;###autoload
(defun namel3ss-mode-maybe ()
  "`namel3ss-mode', or `namel3ss-illustrator-mode' for an Illustrator file."
  (if (namel3ss-illustrator-file-p) (namel3ss-illustrator-mode) (namel3ss-mode)))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.ai\\'" . namel3ss-mode))
;;;###autoload
(add-to-list 'magic-mode-alist '(namel3ss-illustrator-file-p . namel3ss-illustrator-mode))

;;;; Ollama status and progress in the mode line

(defvar-local namel3ss--show-status nil
  "Non-nil in buffers whose mode line shows the Ollama status.")

(defvar namel3ss--statuses nil
  "The latest `namel3ss/ollamaStatus' of each Ollama server (plists), newest first.
Each also has :files, the files named by its `uris'.")

(defvar namel3ss--progress nil
  "Work the server reports with `$/progress', newest first.
An alist (TOKEN . PLIST); PLIST has :title, :message and :percentage.")

(defun namel3ss--json-value (v)
  "V, or nil for JSON null and false."
  (unless (memq v '(nil :null :json-false)) v))

(defun namel3ss--plist (object)
  "OBJECT with its JSON objects as plists (lsp-mode reads them as hash tables)."
  (cond ((hash-table-p object)
         (let (plist)
           (maphash (lambda (key value)
                      (setq plist (plist-put plist (intern (concat ":" key)) (namel3ss--plist value))))
                    object)
           plist))
        ((vectorp object) (vconcat (mapcar #'namel3ss--plist object)))
        (t object)))

(defun namel3ss--uri-file (uri)
  "The file name of a file:// URI, or nil."
  (when (and (stringp uri) (string-prefix-p "file://" uri))
    (expand-file-name (decode-coding-string (url-unhex-string (substring uri 7)) 'utf-8))))

(defun namel3ss--on-status (status)
  "Remember STATUS, a `namel3ss/ollamaStatus' payload (a plist).
Then redraw the mode lines."
  (let ((uris (plist-get status :uris)))
    (setq status (plist-put (copy-sequence status) :files
                            (and (sequencep uris) (mapcar #'namel3ss--uri-file uris)))))
  (setq namel3ss--statuses
        (cons status (cl-remove (plist-get status :baseUrl) namel3ss--statuses
                                :key (lambda (s) (plist-get s :baseUrl)) :test #'equal)))
  (force-mode-line-update t))

(defun namel3ss--buffer-status ()
  "The Ollama status for this buffer.
The one naming its file, else the default server's, else the newest."
  (let ((files (and buffer-file-name
                    (list (expand-file-name buffer-file-name)
                          (expand-file-name (or buffer-file-truename buffer-file-name))))))
    (or (cl-find-if (lambda (s) (cl-intersection files (plist-get s :files) :test #'equal))
                    namel3ss--statuses)
        (cl-find-if (lambda (s) (eq (plist-get s :default) t)) namel3ss--statuses)
        (car namel3ss--statuses))))

(defun namel3ss--on-progress (token value)
  "Record the `$/progress' VALUE (a plist) of TOKEN and redraw mode lines."
  (let ((old (alist-get token namel3ss--progress nil nil #'equal)))
    (setf (alist-get token namel3ss--progress nil 'remove #'equal)
          (unless (equal (plist-get value :kind) "end")
            (cl-loop for key in '(:title :message :percentage)
                     nconc (list key (or (namel3ss--json-value (plist-get value key))
                                         (plist-get old key)))))))
  (force-mode-line-update t))

(defun namel3ss-status-text (&optional status)
  "Mode-line text for STATUS (default: this buffer's).
For example \"Ollama ✓ 2 models\" or \"Ollama unreachable\"."
  (let ((s (or status (namel3ss--buffer-status))))
    (cond
     ((null s) "")
     ((namel3ss--json-value (plist-get s :reachable))
      (let ((n (namel3ss--json-value (plist-get s :modelsCount))))
        (if (numberp n)
            (format "Ollama ✓ %d model%s" n (if (= n 1) "" "s"))
          "Ollama ✓")))
     (t "Ollama unreachable"))))

(defun namel3ss-progress-text ()
  "Mode-line text for running work, e.g. \"Ollama: Pulling phi3:mini 40%\", or nil."
  (when-let ((p (cdar namel3ss--progress)))
    (concat "Ollama: " (or (plist-get p :title) "working")
            (when (numberp (plist-get p :percentage)) (format " %d%%" (plist-get p :percentage)))
            (when (cdr namel3ss--progress) (format " (+%d)" (length (cdr namel3ss--progress)))))))

(defun namel3ss--status-help ()
  "Tooltip text for the mode-line status."
  (let ((s (namel3ss--buffer-status)))
    (string-join
     (delq nil (list (plist-get (cdar namel3ss--progress) :message)
                     (namel3ss--json-value (plist-get s :baseUrl))
                     (when-let ((v (namel3ss--json-value (plist-get s :version))))
                       (format "version %s" v))
                     (namel3ss--json-value (plist-get s :error))
                     (namel3ss--json-value (plist-get s :suggestion))))
     "\n")))

(defvar namel3ss-mode-line
  '(:eval (let ((text (or (namel3ss-progress-text) (namel3ss-status-text))))
            (unless (string-empty-p text)
              (list " " (propertize (replace-regexp-in-string "%" "%%" text t t)
                                    'help-echo (namel3ss--status-help))))))
  "Mode-line construct showing the Ollama status, or the progress of running work.")
(put 'namel3ss-mode-line 'risky-local-variable t)

(add-to-list 'mode-line-misc-info '(namel3ss--show-status namel3ss-mode-line))

;;;; Commands: workspace/executeCommand without a time-out

;; A pull takes minutes and the remove confirmation waits for you: a synchronous request would
;; give up after 10 seconds ("Timed out").  So commands are asynchronous requests carrying a
;; workDoneToken; their progress shows in the mode line and a message says how they ended.

(defvar namel3ss--token-count 0)

(defvar namel3ss--running nil
  "Commands waiting for their result, newest first.
An alist (TOKEN . CANCEL-FUNCTION).")

(defun namel3ss--command-p (command)
  "Non-nil if COMMAND (a string or symbol) is one of namel3ss-lsp's own."
  (string-prefix-p "namel3ss." (format "%s" command)))

(defun namel3ss--start (command arguments on-result send notify)
  "Run COMMAND with ARGUMENTS (a vector) and call ON-RESULT, or say how it went.
SEND is called with the request params, a success function and an
error function; NOTIFY with a method and params (to cancel)."
  (let ((token (format "namel3ss-emacs-%d" (cl-incf namel3ss--token-count))))
    (push (cons token (lambda () (funcall notify "window/workDoneProgress/cancel" (list :token token))))
          namel3ss--running)
    (funcall send (list :command command :arguments (or arguments []) :workDoneToken token)
             (lambda (result) (namel3ss--finish token command arguments on-result result nil))
             (lambda (error) (namel3ss--finish token command arguments on-result nil error)))
    token))

(defun namel3ss--finish (token command arguments on-result result error)
  "The command of TOKEN ended with RESULT or ERROR: forget it and say so."
  (setq namel3ss--running (cl-remove token namel3ss--running :key #'car :test #'equal))
  (setf (alist-get token namel3ss--progress nil 'remove #'equal) nil)
  (force-mode-line-update t)
  (let* ((result (namel3ss--plist result))
         (error (namel3ss--plist error))
         (argument (and (vectorp arguments) (> (length arguments) 0)
                        (namel3ss--plist (aref arguments 0))))
         (model (plist-get argument :model)))
    (cond
     (error
      (let ((text (or (namel3ss--json-value (plist-get error :message)) "failed"))
            (suggestion (namel3ss--json-value (plist-get (plist-get error :data) :suggestion))))
        (message "%s" (propertize
                       (format "namel3ss: %s%s%s"
                               (cond ((or (null model) (string-match-p (regexp-quote model) text)) "")
                                     ((equal command "namel3ss.ollama.pullModel") (format "pull of %s: " model))
                                     ((equal command "namel3ss.ollama.removeModel") (format "removal of %s: " model))
                                     (t ""))
                               text
                               (if (and suggestion (not (string-match-p (regexp-quote suggestion) text)))
                                   (concat " " suggestion)
                                 ""))
                       'face 'error))))
     (on-result (funcall on-result result))
     (t (namel3ss--report command model result)))))

(defun namel3ss--report (command model result)
  "Say that COMMAND (about MODEL) succeeded with RESULT."
  (pcase command
    ("namel3ss.ollama.pullModel"
     (message "Pulled %s%s" model
              (if (namel3ss--json-value (plist-get result :joined)) " (joined the running pull)" "")))
    ("namel3ss.ollama.removeModel"
     (message (if (namel3ss--json-value (plist-get result :removed)) "Removed %s" "Kept %s") model))
    ("namel3ss.ollama.status"
     (message "Ollama at %s: %s"
              (namel3ss--json-value (plist-get result :base_url))
              (if (namel3ss--json-value (plist-get result :reachable))
                  (format "reachable, %s models" (plist-get result :models_count))
                (format "unreachable: %s" (namel3ss--json-value (plist-get result :error))))))
    ("namel3ss.ollama.refresh" (message "Re-read the Ollama models"))
    ("namel3ss.ollama.tryModel"
     (message "%s: %s" model (or (namel3ss--json-value (plist-get result :text)) "")))
    (_ (message "%s: done" command))))

(defun namel3ss-execute (command &optional argument on-result)
  "Ask this buffer's language server to run COMMAND with ARGUMENT (a plist).
Return at once: the request has no time-out.  When it ends,
ON-RESULT is called with the result (a plist), or without
ON-RESULT a message says how it went.  Errors are always shown as
a message.  Return the progress token."
  (let ((arguments (vector (or argument (make-hash-table)))))
    (cond ((and (fboundp 'eglot-current-server) (eglot-current-server))
           (namel3ss--eglot-send (eglot-current-server) command arguments on-result))
          ((bound-and-true-p lsp-mode) (namel3ss--lsp-send command arguments on-result))
          (t (user-error "No language server here: start one with M-x eglot or M-x lsp")))))

(defun namel3ss--model-at-point ()
  "The model id after the nearest `model:' at or above point."
  (save-excursion
    (end-of-line)
    (when (re-search-backward
           (concat "\\_<model[ \t]*:[ \t]*[\"']?\\(" namel3ss-model-id-regexp "\\)") nil t)
      (match-string-no-properties 1))))

(defun namel3ss-pull-model (model)
  "Pull MODEL into Ollama.
Progress shows in the mode line; `namel3ss-cancel' stops the pull."
  (interactive (list (read-string "Pull model: " (namel3ss--model-at-point))))
  (namel3ss-execute "namel3ss.ollama.pullModel" (list :model model))
  (message "Pulling %s..." model))

(defun namel3ss-remove-model (model)
  "Remove MODEL from Ollama (the server asks for confirmation first)."
  (interactive (list (read-string "Remove model: " (namel3ss--model-at-point))))
  (namel3ss-execute "namel3ss.ollama.removeModel" (list :model model)))

(defun namel3ss-status ()
  "Show the Ollama server status."
  (interactive)
  (namel3ss-execute "namel3ss.ollama.status"))

(defun namel3ss-refresh ()
  "Re-read the Ollama models and re-check the open files."
  (interactive)
  (namel3ss-execute "namel3ss.ollama.refresh"))

(defun namel3ss-cancel ()
  "Cancel the newest running namel3ss command.
One that shows progress (a pull) comes first."
  (interactive)
  (let ((entry (or (cl-find-if (lambda (e) (assoc (car e) namel3ss--progress)) namel3ss--running)
                   (car namel3ss--running))))
    (unless entry (user-error "No namel3ss command is running"))
    (funcall (cdr entry))))

;;;; Settings: the user's alone

;; Which hosts the server contacts, whether it may start `ollama serve' and what program runs
;; are for the user to decide, never for a project: a `.dir-locals.el' (or a file's local
;; variables) cannot set these without asking, and the `namel3ss' section the server receives
;; always comes from `namel3ss-settings', even if a project sets `eglot-workspace-configuration'
;; (which eglot treats as safe).
(put 'namel3ss-settings 'risky-local-variable t)
(put 'namel3ss-lsp-command 'risky-local-variable t)

(defun namel3ss--settings-object ()
  "`namel3ss-settings' as a JSON object (an empty one when unset)."
  (or namel3ss-settings (make-hash-table)))

(defun namel3ss--with-settings (settings)
  "SETTINGS (of a didChangeConfiguration) with our `namel3ss' section."
  (let ((plist (and (consp settings) (keywordp (car settings)) (copy-sequence settings))))
    (plist-put plist :namel3ss (namel3ss--settings-object))))

;;;; eglot

(defvar eglot-server-programs)
(declare-function eglot-current-server "eglot")
(declare-function jsonrpc-notify "jsonrpc")
(declare-function jsonrpc-async-request "jsonrpc")
(declare-function namel3ss-eglot-server--eieio-childp "namel3ss-mode")

(defun namel3ss--eglot-send (server command arguments &optional on-result)
  "Run COMMAND with ARGUMENTS on the eglot SERVER, without a time-out."
  (namel3ss--start command arguments on-result
                   (lambda (params success failure)
                     (jsonrpc-async-request server :workspace/executeCommand params
                                            :success-fn success :error-fn failure :timeout nil))
                   (lambda (method params) (jsonrpc-notify server (intern (concat ":" method)) params))))

(with-eval-after-load 'eglot
  (defclass namel3ss-eglot-server (eglot-lsp-server) ()
    :documentation "namel3ss-lsp: settings from `namel3ss-settings', commands without time-out.")

  (cl-defmethod eglot-initialization-options ((_server namel3ss-eglot-server))
    (namel3ss--settings-object))

  (cl-defmethod eglot-handle-request ((_server namel3ss-eglot-server)
                                      (_method (eql workspace/configuration)) &key items)
    (let ((answers (cl-call-next-method)))
      (cl-loop for item across items
               for i from 0
               when (member (plist-get item :section) '("namel3ss" nil))
               do (aset answers i (namel3ss--settings-object)))
      answers))

  (cl-defmethod jsonrpc-connection-send :around ((server namel3ss-eglot-server) &rest args
                                                 &key method params &allow-other-keys)
    "Every didChangeConfiguration carries `namel3ss-settings'.
It is the `namel3ss' section, whatever `eglot-workspace-configuration' says."
    (if (string-suffix-p "workspace/didChangeConfiguration" (format "%s" method))
        (apply #'cl-call-next-method server
               (plist-put (copy-sequence args) :params
                          (list :settings (namel3ss--with-settings (plist-get params :settings)))))
      (cl-call-next-method)))

  (cl-defmethod eglot-handle-notification (_server (_method (eql namel3ss/ollamaStatus))
                                                   &rest params)
    "Remember the Ollama status the server sent and show it in the mode line."
    (namel3ss--on-status params))

  (cl-defmethod eglot-handle-notification ((_server namel3ss-eglot-server)
                                           (_method (eql $/progress)) &key token value)
    "Show the progress of our commands in the mode line."
    (if (and (stringp token) (string-prefix-p "namel3ss-emacs-" token))
        (namel3ss--on-progress token value)
      (cl-call-next-method)))

  ;; eglot 1.9 to 1.15 run code actions' commands with `eglot-execute-command', later ones with
  ;; `eglot-execute': both would wait for the result.
  (cl-defmethod eglot-execute-command ((server namel3ss-eglot-server) command arguments)
    (if (namel3ss--command-p command)
        (namel3ss--eglot-send server (format "%s" command) arguments)
      (cl-call-next-method)))
  (when (fboundp 'eglot-execute)
    (cl-defmethod eglot-execute ((server namel3ss-eglot-server) action)
      (let ((command (plist-get action :command)))
        (if (and (stringp command) (namel3ss--command-p command))
            (namel3ss--eglot-send server command (plist-get action :arguments))
          (cl-call-next-method)))))

  (add-to-list 'eglot-server-programs '(namel3ss-mode . namel3ss-eglot-contact)))

(defun namel3ss-eglot-contact (&optional _interactive)
  "The eglot contact for namel3ss-lsp.
It is `namel3ss-lsp-command' with the class `namel3ss-eglot-server'."
  (cons 'namel3ss-eglot-server namel3ss-lsp-command))

;;;; lsp-mode

(defvar lsp-language-id-configuration)
(defvar lsp-progress-function)
(declare-function lsp-request-async "lsp-mode")
(declare-function lsp-notify "lsp-mode")
(declare-function lsp-register-client "lsp-mode")
(declare-function make-lsp-client "lsp-mode")
(declare-function lsp-stdio-connection "lsp-mode")
(declare-function lsp-activate-on "lsp-mode")

(defun namel3ss--lsp-send (command arguments &optional on-result)
  "Run COMMAND with ARGUMENTS on this buffer's lsp-mode servers.
The request has no time-out."
  (let ((buffer (current-buffer)))
    (namel3ss--start command arguments on-result
                     (lambda (params success failure)
                       (lsp-request-async "workspace/executeCommand" params success
                                          :mode 'detached :error-handler failure))
                     (lambda (method params)
                       (when (buffer-live-p buffer)
                         (with-current-buffer buffer (lsp-notify method params)))))))

(defun namel3ss--lsp-progress (workspace params)
  "Handle `$/progress' from namel3ss-lsp in lsp-mode WORKSPACE with PARAMS.
Our commands' progress goes to our mode line, the rest as usual."
  (let* ((progress (namel3ss--plist params))
         (token (plist-get progress :token)))
    (if (and (stringp token) (string-prefix-p "namel3ss-emacs-" token))
        (namel3ss--on-progress token (plist-get progress :value))
      (funcall lsp-progress-function workspace params))))

(defun namel3ss--lsp-configuration (_workspace params)
  "Answer workspace/configuration: the `namel3ss' section is `namel3ss-settings'."
  (vconcat (mapcar (lambda (item)
                     (when (member (plist-get item :section) '("namel3ss" nil))
                       (namel3ss--settings-object)))
                   (plist-get (namel3ss--plist params) :items))))

(defun namel3ss--table (&rest pairs)
  "A hash table (test `equal') of the keys and values in PAIRS."
  (let ((table (make-hash-table :test #'equal)))
    (while pairs (puthash (pop pairs) (pop pairs) table))
    table))

(with-eval-after-load 'lsp-mode
  (add-to-list 'lsp-language-id-configuration '(namel3ss-mode . "namel3ss"))
  (cl-defmethod lsp-execute-command ((_server (eql namel3ss)) command arguments)
    "Run namel3ss commands (code actions too) asynchronously, without a time-out."
    (if (namel3ss--command-p command)
        (namel3ss--lsp-send (symbol-name command) arguments)
      (cl-call-next-method)))
  (lsp-register-client
   (make-lsp-client
    :new-connection (lsp-stdio-connection (lambda () namel3ss-lsp-command))
    :activation-fn (lsp-activate-on "namel3ss")
    :server-id 'namel3ss
    :initialization-options #'namel3ss--settings-object
    :notification-handlers
    (namel3ss--table "namel3ss/ollamaStatus" (lambda (_workspace params)
                                               (namel3ss--on-status (namel3ss--plist params)))
                     "$/progress" #'namel3ss--lsp-progress)
    :request-handlers (namel3ss--table "workspace/configuration" #'namel3ss--lsp-configuration))))

(provide 'namel3ss-mode)
;;; namel3ss-mode.el ends here
