" Namel3ss (.ai) indentation: one level per open brace or bracket.
if exists('b:did_indent')
  finish
endif
let b:did_indent = 1

setlocal autoindent
setlocal indentexpr=Namel3ssIndent(v:lnum)
setlocal indentkeys=0{,0},0],0),!^F,o,O
let b:undo_indent = 'setlocal autoindent< indentexpr< indentkeys<'

if exists('*Namel3ssIndent')
  finish
endif

" Net count of opening minus closing brackets on a line, ignoring strings and # comments.
function! s:Balance(line) abort
  let l:line = substitute(a:line, '"\%([^"\\]\|\\.\)*"', '""', 'g')
  let l:line = substitute(l:line, "'\\%([^'\\\\]\\|\\\\.\\)*'", "''", 'g')
  let l:line = substitute(l:line, '#.*$', '', '')
  let l:open = len(substitute(l:line, '[^{[(]', '', 'g'))
  let l:close = len(substitute(l:line, '[^]})]', '', 'g'))
  return l:open - l:close
endfunction

function! Namel3ssIndent(lnum) abort
  let l:prev = prevnonblank(a:lnum - 1)
  if l:prev == 0
    return 0
  endif
  let l:ind = indent(l:prev)
  let l:prevline = getline(l:prev)
  " Lines of a triple-quoted string keep their own indentation.
  if synIDattr(synID(a:lnum, 1, 1), 'name') =~# 'namel3ssTripleString'
    return -1
  endif
  let l:bal = s:Balance(l:prevline)
  if l:bal > 0
    let l:ind += shiftwidth()
  elseif l:bal < 0 && l:prevline !~# '^\s*[]})]'
    let l:ind -= shiftwidth() * (-l:bal)
  endif
  if getline(a:lnum) =~# '^\s*[]})]'
    let l:ind -= shiftwidth()
  endif
  return max([l:ind, 0])
endfunction
