" Namel3ss: *.ai files are Namel3ss sources.
"
" Neovim (0.7 and later) already maps *.ai to PostScript ("postscr"), for Adobe Illustrator
" files.  ftdetect files run after that built-in detection, so this uses `set filetype=` (not
" `setfiletype`, which would keep "postscr") and leaves real Illustrator files alone: those
" start with "%!PS-Adobe" (PostScript), "%PDF-" (PDF-based Illustrator) or the binary EPS header.
let g:namel3ss_ftdetect_loaded = 1

function! s:Namel3ssDetect() abort
  let l:first = getline(1)
  if l:first =~# '^%!' || l:first =~# '^%PDF-' || l:first[0:3] ==# "\xc5\xd0\xd3\xc6"
    return
  endif
  if &filetype !=# 'namel3ss'
    set filetype=namel3ss
  endif
endfunction

autocmd BufNewFile,BufRead *.ai call s:Namel3ssDetect()
