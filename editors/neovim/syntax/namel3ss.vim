" Vim syntax file
" Language:    Namel3ss (.ai)
" Maintainer:  namel3ss-lsp
if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match
syn sync minlines=200

" Comments: # to end of line (also after values).
syn keyword namel3ssTodo contained TODO FIXME XXX NOTE
syn match   namel3ssComment "#.*$" contains=namel3ssTodo,@Spell

" Declaration keywords at the start of a header (`ai model NAME {`, `llm NAME {`, `app "x" {`),
" and statement words.  Matches, not keywords: many of these words are also keys (`model:`,
" `prompt:`, `memory:`) and a `syn keyword` would win over the key match.
syn match namel3ssDeclKeyword "^\s*\zs\%(ai\s\+model\|app\|page\|llm\|agent\|prompt\|chain\|rag_pipeline\|index\|dataset\|memory\|fn\|tool\|connector\|template\|model\|training\|policy\|graph\|knowledge\|query\|frame\|theme\|planner\|workflow\|api\|endpoint\|backend\|define\|module\|import\|use\|language_version\)\>\%(\s*:\)\@!"
syn match namel3ssStatement "\<\%(show\|action\|step\|return\|yield\|if\|else\|for\|while\|in\|try\|catch\|connects\s\+to\|from\|as\|effect\|using\)\>\%(\s*[:=]\)\@!"
syn keyword namel3ssProvider ollama vllm local_ai lm_studio openai anthropic azure_openai google
      \ vertex bedrock mistral cohere contained
syn keyword namel3ssBoolean true false True False
syn keyword namel3ssNull null none None

" Keys: an identifier (or quoted string) followed by a colon at the start of an entry.
syn match namel3ssKey "\%(\%(^\|[{,]\)\s*\)\@<=[A-Za-z_][A-Za-z0-9_]*\ze\s*:\%([^:]\|$\)"
syn match namel3ssKey "\%(\%(^\|[{,]\)\s*\)\@<=\"[^"]*\"\ze\s*:\%([^:]\|$\)"

" Values of `provider:` and `model:` (model ids hold : / - . and are one token: llama3:8b,
" hf.co/bartowski/Qwen2.5-7B-GGUF:Q4_K_M, localhost:5000/team/model:v1).
syn match namel3ssProviderValue "\%(\<provider\s*:\s*\)\@<=[\"']\=[A-Za-z_]\+[\"']\=" contains=namel3ssProvider
syn match namel3ssModelId "\%(\<model\s*:\s*\)\@<=[A-Za-z0-9_][A-Za-z0-9_.:/@+-]*"

" Numbers: int, float, exponent, leading minus.
syn match namel3ssNumber "\%(\<\|-\)\d\+\%(\.\d\+\)\=\%([eE][-+]\=\d\+\)\=\>"

" Strings: triple-quoted first (they may hold {{var}} and unbalanced braces), then plain.
syn match  namel3ssEscape contained "\\\%([\\'\"nrtbf0]\|u\x\{4}\|x\x\x\)"
syn match  namel3ssTemplateVar contained "{{[^}]*}}"
syn region namel3ssTripleString start=+"""+ end=+"""+ keepend contains=namel3ssTemplateVar,@Spell
syn region namel3ssTripleString start=+'''+ end=+'''+ keepend contains=namel3ssTemplateVar,@Spell
syn region namel3ssString start=+"\%(""\)\@!+ skip=+\\\\\|\\"+ end=+"+ oneline contains=namel3ssEscape,namel3ssTemplateVar
syn region namel3ssString start=+'\%(''\)\@!+ skip=+\\\\\|\\'+ end=+'+ oneline contains=namel3ssEscape,namel3ssTemplateVar
" A quoted model id (defined after the strings, so it wins over them).
syn match namel3ssModelId "\%(\<model\s*:\s*\)\@<=[\"'][A-Za-z0-9_][A-Za-z0-9_.:/@+-]*[\"']"

" Dotted references such as env.OPENAI_API_KEY.
syn match namel3ssReference "\<env\.[A-Za-z_][A-Za-z0-9_]*"

syn match namel3ssBrace "[{}\[\]()]"

hi def link namel3ssComment       Comment
hi def link namel3ssTodo          Todo
hi def link namel3ssDeclKeyword   Keyword
hi def link namel3ssStatement     Statement
hi def link namel3ssProvider      Constant
hi def link namel3ssProviderValue Constant
hi def link namel3ssBoolean       Boolean
hi def link namel3ssNull          Constant
hi def link namel3ssKey           Identifier
hi def link namel3ssModelId       Special
hi def link namel3ssNumber        Number
hi def link namel3ssString        String
hi def link namel3ssTripleString  String
hi def link namel3ssEscape        SpecialChar
hi def link namel3ssTemplateVar   PreProc
hi def link namel3ssReference     PreProc
hi def link namel3ssBrace         Delimiter

let b:current_syntax = 'namel3ss'

let &cpo = s:cpo_save
unlet s:cpo_save
