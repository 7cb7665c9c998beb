" Namel3ss (.ai) filetype settings.
if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

setlocal commentstring=#\ %s
setlocal comments=:#
setlocal formatoptions-=t formatoptions+=croql
setlocal iskeyword+=-

" The Namel3ss examples use four spaces; set g:namel3ss_recommended_style = 0 to keep your own.
if get(g:, 'namel3ss_recommended_style', 1)
  setlocal expandtab shiftwidth=4 softtabstop=4
endif

let b:undo_ftplugin = 'setlocal commentstring< comments< formatoptions< iskeyword<'
      \ . ' expandtab< shiftwidth< softtabstop<'
