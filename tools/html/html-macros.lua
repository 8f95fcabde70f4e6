-- html-macros.lua: a pandoc Lua filter for the HTML edition. It turns the
-- book's LaTeX macros (book/caderno.sty) in the prose into HTML, from the
-- same data the PDF reads:
--
--   \result{KEY}, \ifresultis, \ifresultsequal, \nresult, \nrecvs
--       the values of build/results/*/numbers.tsv (tools/weave/results-tex
--       feeds the same to the PDF)
--   \begin{table}...\resulttable{build/results/C/X.tex}...\end{table}
--       <table class="result" data-source="X.tsv">, from the TSV X.tex
--       was made from (tools/weave/tsv2tex), with its caption and number
--   \begin{figure}...\input{figures/X.tex}...\end{figure}
--       <figure><img class="figure" src="figuras/X.svg" alt="CAPTION">
--   \transcript{FILE}{CAPTION}{LABEL}   <pre class="transcript">, the file
--   \seedlisting{NN}      the seed report's Listing NN (chapters/seed/)
--   \exercicio[D]{Title}  "Exercício N.M", stars, the title
--   \label, \ref, \cite   anchors and links, across pages
--   \idx, \idxf, \idxc, \idxerr, \idxsig, \idxopt, \idxstate
--                         the subject index (book/caderno.sty): an anchor
--                         here, and an entry in index.tsv, from which
--                         tools/html/nwhtml writes indice-remissivo.html
--   \dificuldade{D}       the stars (como-usar.tex)
--
-- and numbers chapters, sections, tables, figures, transcripts and
-- exercises as the PDF does. A LaTeX command it does not know is an error,
-- never dropped: "NWXAT K COMMAND: message", K the documentation chunk,
-- which nwpandoc (tools/weave/nwpandoc.c) turns into FILE:LINE.
--
-- It runs over the whole book at once (nwpandoc -t html): chunks
-- are separated by NWXCHUNKSEPARATORXN paragraphs and each chapter file
-- starts with <!-- NWXFILE chapters/NN-slug.nw -->. Environment:
--   WORKBOOK_CHAPTERS   the chapters' names, in order (NN-slug ...)
--   WORKBOOK_HTML_DATA  a directory: the book run writes labels.tsv and
--                       items.tsv there (what the pages' lists need)
--   WORKBOOK_HTML_SOURCE  set for a LaTeX file of the front matter
--                       (book/como-usar.tex): its name for messages; it
--                       reads labels.tsv instead, and numbers nothing
--   WORKBOOK_HTML_PAGE  with it, the page it goes on (index.html)
--   WORKBOOK_MANUAL     the build manual's names (manual/NN-slug.nw), in
--                       order, when its files follow the chapters (tools/weave/weave
--                       -t html -e manual): a manual file's page is
--                       construcao/NN-slug.html, its chapters numbered 1, 2...
--                       as in build/construcao.pdf, and its \ref{caderno-LABEL}
--                       is the book's LABEL, as book/construcao.tex reads it

local SEPARATOR = "NWXCHUNKSEPARATORXN"
local chapters = {}
for name in (os.getenv("WORKBOOK_CHAPTERS") or ""):gmatch("%S+") do
  chapters[#chapters + 1] = name
end
local manual_numbers = {} -- the build manual's chapters: name -> "1", "2"...
for name in (os.getenv("WORKBOOK_MANUAL") or ""):gmatch("%S+") do
  manual_numbers[name] = tostring(#manual_numbers + 1)
  manual_numbers[#manual_numbers + 1] = name
end
local MANUAL_DIR = "construcao/"
local data_dir = os.getenv("WORKBOOK_HTML_DATA")
local standalone = os.getenv("WORKBOOK_HTML_SOURCE")

local chunk = 0 -- the documentation chunk being read
local page = os.getenv("WORKBOOK_HTML_PAGE") or "index.html"
local chapter_number = nil -- "1", "A"
local counters = {}
local anchor = nil -- what a \label names: {id=, number=}
local labels = {} -- label -> {page=, id=, number=}
local items = {} -- for the lists: {kind=, number=, page=, id=, caption=inlines}
local refs = {} -- placeholder n -> {label=, page=, chunk=}
local index_marks = {} -- placeholder n -> {id=, page=, section=, bold=, entries={{levels}}}
local section_here = "" -- the number of the chapter or section being read
local cites = {} -- placeholder n -> {keys, chunk}

local function fail(needle, message)
  if standalone then
    error(standalone .. ": " .. needle .. ": " .. message, 0)
  end
  error("NWXAT " .. chunk .. " " .. needle .. ": " .. message, 0)
end

local function read_file(path, needle)
  local f = io.open(path, "r")
  if not f then fail(needle, "cannot read " .. path) end
  local text = f:read("a")
  f:close()
  return text
end

local function escape(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

-- From a page to the site's top: "" for the book's pages, "../" for the
-- build manual's (construcao/NN-slug.html).
local function up(from)
  return from:sub(1, #MANUAL_DIR) == MANUAL_DIR and "../" or ""
end

-- The link from page from to page target (either the book's or the
-- manual's, construcao/).
local function relative(target, from)
  local here = from:sub(1, #MANUAL_DIR) == MANUAL_DIR
  if target:sub(1, #MANUAL_DIR) == MANUAL_DIR then
    return here and target:sub(#MANUAL_DIR + 1) or target
  end
  return (here and "../" or "") .. target
end

-- ------------------------------------------------------------ the data

local results = {}
-- Reads the lines "KEY<TAB>VALUE" of a TSV file, if there is one, whose
-- key matches pattern (a Lua pattern with one capture), into the table into.
local function read_pairs(path, pattern, into)
  local f = io.open(path, "r")
  if not f then return end
  for line in f:lines() do
    local key, value = line:match("^" .. pattern .. "\t(.*)$")
    if key then into[key] = value end
  end
  f:close()
end

for _, name in ipairs(chapters) do
  read_pairs("build/results/" .. name .. "/numbers.tsv", "([a-z][a-z0-9-]*)", results)
end

local function result(key)
  local value = results[key]
  if value == nil then fail("\\result{" .. key .. "}", "no experiment wrote the result '" .. key .. "'") end
  return value
end

-- The chapters' numbers: NN, or a letter from 90 on (tools/weave/chapter-list).
local numbers = {}
do
  local letters = "ABCDEFGHIJ"
  local appendices = 0
  for _, name in ipairs(chapters) do
    local nn = tonumber(name:match("^(%d%d)%-"))
    if nn and nn >= 90 then
      appendices = appendices + 1
      numbers[name] = letters:sub(appendices, appendices)
    elseif nn then
      numbers[name] = tostring(nn)
    end
  end
end

-- The bibliography's keys, numbered in order as thebibliography does.
local bibliography = {}
do
  local f = io.open("book/referencias.tex", "r")
  if f then
    local n = 0
    for key in f:read("a"):gmatch("\\bibitem{([^}]*)}") do
      n = n + 1
      bibliography[key] = n
    end
    f:close()
  end
end

local seed_captions = {}
read_pairs("chapters/seed/listings.tsv", "(%d%d)", seed_captions)

if standalone and data_dir then
  local f = io.open(data_dir .. "/labels.tsv", "r")
  if f then
    for line in f:lines() do
      local label, p, id, number = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
      if label then labels[label] = {page = p, id = id, number = number} end
    end
    f:close()
  end
end

-- ------------------------------------------------- LaTeX, just enough

-- The group that starts at s[i] ("{" or "["): its text and the index
-- after it; nil when there is none. Braces nest; "\{" is no brace.
local function group(s, i)
  local open = s:sub(i, i)
  if open ~= "{" and open ~= "[" then return nil end
  local close = open == "{" and "}" or "]"
  local depth, j = 0, i
  while j <= #s do
    local c = s:sub(j, j)
    if c == "\\" then
      j = j + 2
    elseif c == "{" then
      depth = depth + 1
      j = j + 1
    elseif c == "}" then
      if open == "{" then
        depth = depth - 1
        if depth == 0 then return s:sub(i + 1, j - 1), j + 1 end
      else
        depth = depth - 1
      end
      j = j + 1
    elseif c == "]" and open == "[" and depth == 0 then
      return s:sub(i + 1, j - 1), j + 1
    else
      j = j + 1
    end
  end
  return nil
end

-- count mandatory arguments from s[i] (spaces and one newline between
-- them are allowed), after an optional [..] when optional is true.
local function arguments(s, i, count, optional, needle)
  local args, option = {}, nil
  if optional and s:sub(i, i) == "[" then
    option, i = group(s, i)
    if not option then fail(needle, "an unclosed [ after " .. needle) end
  end
  for n = 1, count do
    local skip = s:match("^[ \t]*\n?[ \t]*", i)
    if n > 1 then i = i + #skip end
    local text, after = group(s, i)
    if not text or s:sub(i, i) ~= "{" then
      fail(needle, needle .. " needs " .. count .. " argument" .. (count > 1 and "s" or "") .. " in braces")
    end
    args[n] = text
    i = after
  end
  return args, i, option
end

-- The commands left for pandoc's LaTeX reader, or for the block and
-- inline steps below. Any other is an error.
local known = {
  texttt = true, emph = true, textbf = true, textit = true, textsuperscript = true,
  textbackslash = true, url = true, ldots = true, dots = true,
  ref = true, cite = true, label = true, exercicio = true, dificuldade = true,
  transcript = true, seedlisting = true, resulttable = true, caption = true,
  centering = true, input = true, begin = true, ["end"] = true,
}

local function label_here(name, needle)
  if not anchor then fail(needle, "\\label{" .. name .. "} after nothing it could name") end
  if labels[name] then fail(needle, "label '" .. name .. "' defined twice") end
  labels[name] = {page = page, id = anchor.id, number = anchor.number}
end

-- The subject index (book/caderno.sty). An entry is makeindex's syntax,
-- "KEY@SHOWN!KEY@SHOWN": its levels, each {key=, shown=} (SHOWN LaTeX).
local index_groups = {
  idxerr = "errno@\\idxtt{errno}", idxsig = "sinais",
  idxopt = "opcoes de socket@opções de \\emph{socket}", idxstate = "estados do TCP",
}
local function index_levels(entry)
  local levels = {}
  for level in (entry .. "!"):gmatch("([^!]*)!") do
    local key, shown = level:match("^([^@]*)@(.*)$")
    levels[#levels + 1] = {key = key or level, shown = shown or level}
  end
  return levels
end
local function name_level(name, call)
  return {key = (name:gsub("^_+", "")), shown = "\\idxtt{" .. name .. (call and "()" or "") .. "}"}
end
-- \idx...: the entries it makes; returns the placeholder and the index after.
local function index_mark(s, name, after, needle)
  local bold = s:sub(after, after) == "*"
  if bold then after = after + 1 end
  local args, i, option = arguments(s, after, 1, name == "idxc", needle)
  local entries = {}
  if name == "idx" then
    entries[1] = index_levels(args[1])
  elseif name == "idxf" then
    entries[1] = {name_level(args[1], true)}
  else
    local group = option or index_groups[name]
    entries[1] = {name_level(args[1], false)}
    if group then
      local levels = index_levels(group)
      levels[#levels + 1] = name_level(args[1], false)
      entries[2] = levels
    end
  end
  index_marks[#index_marks + 1] = {page = page, section = section_here, bold = bold, entries = entries,
    id = "idx-" .. (#index_marks + 1)}
  return "NWXIDX" .. #index_marks .. "X", i
end

-- Expands the macros that stand for values and conditions, and turns
-- \ref, \cite and \label into placeholders or anchors: LaTeX for pandoc.
local function expand(s, keep_labels)
  local out, i = {}, 1
  while true do
    local a = s:find("\\", i, true)
    if not a then
      out[#out + 1] = s:sub(i)
      break
    end
    out[#out + 1] = s:sub(i, a - 1)
    local name = s:match("^%a+", a + 1)
    if not name then -- "\_", "\\", "\ ": pandoc reads those
      out[#out + 1] = s:sub(a, a + 1)
      i = a + 2
    else
      local needle = "\\" .. name
      local after = a + 1 + #name
      if name == "result" then
        local args
        args, i = arguments(s, after, 1, false, needle)
        out[#out + 1] = result(args[1])
      elseif name == "ifresultis" then
        local args
        args, i = arguments(s, after, 4, false, needle)
        out[#out + 1] = expand(result(args[1]) == args[2] and args[3] or args[4], keep_labels)
      elseif name == "ifresultsequal" then
        local args
        args, i = arguments(s, after, 4, false, needle)
        out[#out + 1] = expand(result(args[1]) == result(args[2]) and args[3] or args[4], keep_labels)
      elseif name == "nresult" then
        local args
        args, i = arguments(s, after, 4, false, needle)
        local value = result(args[1])
        if value == "0" then
          out[#out + 1] = expand(args[2])
        else
          out[#out + 1] = value .. expand(value == "1" and args[3] or args[4])
        end
      elseif name == "nrecvs" then
        local args
        args, i = arguments(s, after, 1, false, needle)
        local value = result(args[1])
        out[#out + 1] = value .. "~\\texttt{recv()}" .. (value == "1" and "" or "s")
      elseif name == "ref" then
        local args
        args, i = arguments(s, after, 1, false, needle)
        refs[#refs + 1] = {label = args[1], page = page, chunk = chunk}
        out[#out + 1] = "NWXREF" .. #refs .. "X"
      elseif name == "cite" then
        local args
        args, i = arguments(s, after, 1, false, needle)
        cites[#cites + 1] = {keys = args[1], chunk = chunk, page = page}
        out[#out + 1] = "NWXCITE" .. #cites .. "X"
      elseif name == "idx" or name == "idxf" or name == "idxc" or index_groups[name] then
        local mark
        mark, i = index_mark(s, name, after, needle)
        out[#out + 1] = mark
      elseif name == "label" and keep_labels then
        out[#out + 1] = needle
        i = after
      elseif name == "label" then
        local args
        args, i = arguments(s, after, 1, false, needle)
        label_here(args[1], "\\label{" .. args[1] .. "}")
      elseif known[name] then
        out[#out + 1] = needle
        i = after
      else
        fail(needle, needle .. " is a LaTeX command the HTML edition does not know"
          .. " (tools/html/html-macros.lua)")
      end
    end
  end
  return table.concat(out)
end

local function next_number(kind)
  counters[kind] = (counters[kind] or 0) + 1
  return (chapter_number and chapter_number .. "." or "") .. counters[kind]
end

local function slug_number(number)
  return (number:gsub("%.", "-"))
end

local process_inlines, process_blocks

-- LaTeX (after expand) as pandoc inlines.
local function latex_inlines(text)
  local doc = pandoc.read(text, "latex+raw_tex")
  local inlines = pandoc.List()
  for n, block in ipairs(doc.blocks) do
    if block.t ~= "Para" and block.t ~= "Plain" then
      fail("\\" .. (text:match("\\(%a+)") or "?"), "a block (" .. block.t .. ") where text was expected")
    end
    if n > 1 then inlines:insert(pandoc.Space()) end
    inlines:extend(block.content)
  end
  return process_inlines(inlines)
end

local function stars(d)
  local n = tonumber(d)
  if not n or n < 1 or n > 3 then fail("\\dificuldade", "difficulty " .. d .. " is not 1, 2 or 3") end
  return pandoc.RawInline("html", '<span class="dificuldade" role="img" aria-label="dificuldade '
    .. n .. ' de 3">' .. string.rep("★", n) .. string.rep("☆", 3 - n) .. "</span>")
end

local function raw_inline(text)
  local name = text:match("^\\(%a+)")
  if name == "exercicio" then
    local args, after, option = arguments(text, 1 + #"\\exercicio", 1, true, "\\exercicio")
    if after <= #text then fail("\\exercicio", "text after \\exercicio[D]{Title} in the same command") end
    local number = next_number("exercise")
    local id = "exercicio-" .. slug_number(number)
    anchor = {id = id, number = number}
    local title = latex_inlines(expand(args[1]))
    items[#items + 1] = {kind = "exercise", number = number, page = page, id = id, caption = title}
    local out = pandoc.List({pandoc.Span({pandoc.Strong({pandoc.Str("Exercício\u{a0}" .. number)})},
      pandoc.Attr(id, {"exercicio"})), pandoc.Space(), stars(option or "1"), pandoc.Space()})
    local strong = pandoc.List(title)
    strong:insert(pandoc.Str("."))
    out:insert(pandoc.Strong(strong))
    return out
  elseif name == "dificuldade" then
    local args = arguments(text, 1 + #"\\dificuldade", 1, false, "\\dificuldade")
    return {stars(args[1])}
  end
  local expanded = expand(text)
  for _, block_command in ipairs({"transcript", "seedlisting", "resulttable", "begin"}) do
    if expanded:find("\\" .. block_command, 1, true) then
      fail("\\" .. block_command, "\\" .. block_command .. " inside a paragraph; give it a paragraph of its own")
    end
  end
  return latex_inlines(expanded)
end

-- A caption's text: the long form of \caption[short]{long}.
local function caption_of(body, needle)
  local a = body:find("\\caption", 1, true)
  if not a then fail(needle, needle .. " without a \\caption") end
  local args = arguments(body, a + #"\\caption", 1, true, "\\caption")
  return args[1]
end

local function label_of(body)
  return body:match("\\label{([^}]*)}")
end

local function check_only(body, allowed, needle)
  for name in body:gmatch("\\(%a+)") do
    if not allowed[name] and not known[name] then fail("\\" .. name, "\\" .. name .. " is not expected in " .. needle) end
  end
end

local function html_block(s) return pandoc.RawBlock("html", s) end

-- A TSV as the rows of an HTML table: the first line the header, "#"
-- lines comments, the first column left-aligned (tools/weave/tsv2tex).
local function tsv_rows(path, needle)
  local rows, header = {}, nil
  for line in (read_file(path, needle) .. "\n"):gmatch("([^\n]*)\n") do
    if line ~= "" and line:sub(1, 1) ~= "#" then
      local cells = {}
      for cell in (line .. "\t"):gmatch("([^\t]*)\t") do cells[#cells + 1] = cell end
      if not header then header = #cells
      elseif #cells ~= header then fail(needle, path .. ": " .. #cells .. " cells, the header has " .. header) end
      rows[#rows + 1] = cells
    end
  end
  if #rows == 0 then fail(needle, path .. ": no header line") end
  local out = {"<thead>\n<tr>"}
  for c, cell in ipairs(rows[1]) do
    out[#out + 1] = '<th scope="col"' .. (c > 1 and ' class="c"' or "") .. ">" .. escape(cell) .. "</th>"
  end
  out[#out + 1] = "</tr>\n</thead>\n<tbody>\n"
  for r = 2, #rows do
    out[#out + 1] = "<tr>"
    for c, cell in ipairs(rows[r]) do
      out[#out + 1] = "<td" .. (c > 1 and ' class="c"' or "") .. ">" .. escape(cell) .. "</td>"
    end
    out[#out + 1] = "</tr>\n"
  end
  out[#out + 1] = "</tbody>\n"
  return table.concat(out)
end

-- A table or a figure: its number, its id (PREFIX and the number), its
-- label and its entry in the lists; returns the id, the caption headed
-- "WORD N.M:", the number and the bare caption.
local function numbered_float(kind, word, prefix, body, needle)
  local number = next_number(kind)
  local id = prefix .. slug_number(number)
  anchor = {id = id, number = number}
  local label = label_of(body)
  local caption = latex_inlines(expand(caption_of(body, needle)))
  if label then label_here(label, "\\label{" .. label .. "}") end
  items[#items + 1] = {kind = kind, number = number, page = page, id = id, caption = caption}
  local inlines = pandoc.List({pandoc.Strong({pandoc.Str(word .. "\u{a0}" .. number .. ":")}), pandoc.Space()})
  inlines:extend(caption)
  return id, inlines, number, caption
end

local function table_env(body)
  local needle = "\\begin{table}"
  check_only(body, {}, needle)
  local file = body:match("\\resulttable{([^}]*)}")
  if not file then fail(needle, "a table without \\resulttable{build/results/.../X.tex}") end
  local chapter, name = file:match("^build/results/([^/]+)/([^/]+)%.tex$")
  if not chapter then fail("\\resulttable", file .. " is not build/results/CHAPTER/NAME.tex") end
  local tsv = "build/results/" .. chapter .. "/" .. name .. ".tsv"
  if not io.open(tsv, "r") then tsv = "build/tangle/" .. chapter .. "/" .. name .. ".tsv" end
  local id, inlines = numbered_float("table", "Tabela", "tabela-", body, needle)
  return {
    -- The caption outside the table's scroller: on a phone it wraps to the
    -- screen while a wide table scrolls by itself.
    html_block('<figure class="table" id="' .. id .. '">\n<figcaption>'),
    pandoc.Plain(inlines),
    html_block('</figcaption>\n<div class="table-wrap">\n<table class="result" data-source="' ..
      escape(tsv) .. '">\n' .. tsv_rows(tsv, "\\resulttable") .. "</table>\n</div>\n</figure>"),
  }
end

local function figure_env(body)
  local needle = "\\begin{figure}"
  check_only(body, {}, needle)
  local name = body:match("\\input{figures/([^}/]+)%.tex}")
  if not name then fail(needle, "a figure without \\input{figures/NAME.tex}") end
  local id, inlines, number, caption = numbered_float("figure", "Figura", "figura-", body, needle)
  -- The alt text says what the figure shows: its caption, as text.
  local alt = escape(pandoc.utils.stringify(caption))
  return {
    -- The drawing links to itself: on a phone's width its labels are small,
    -- and the SVG opened alone can be zoomed.
    html_block('<figure class="figure" id="' .. id .. '">\n<a class="full-size" href="' .. up(page) .. 'figuras/' ..
      escape(name) .. '.svg"><img class="figure" src="' .. up(page) .. 'figuras/' .. escape(name)
      .. '.svg" alt="Figura ' .. number .. ": " .. alt .. '"></a>\n<figcaption>'),
    pandoc.Plain(inlines),
    html_block("</figcaption>\n</figure>"),
  }
end

local function listing(kind, file, caption_inlines, id, prefix, extra_class)
  local text = read_file(file, kind)
  local inlines = pandoc.List({pandoc.Strong({pandoc.Str(prefix)}), pandoc.Space()})
  inlines:extend(caption_inlines)
  return {
    html_block('<figure class="listing" id="' .. id .. '">\n<pre class="transcript' .. extra_class
      .. '" data-source="' .. escape(file) .. '">' .. escape(text) .. "</pre>\n<figcaption>"),
    pandoc.Plain(inlines),
    html_block("</figcaption>\n</figure>"),
  }
end

local function transcript(args)
  local number = next_number("transcript")
  local id = "transcricao-" .. slug_number(number)
  anchor = {id = id, number = number}
  local caption = latex_inlines(args[2]) -- expanded already
  label_here(args[3], "\\label{" .. args[3] .. "}")
  items[#items + 1] = {kind = "transcript", number = number, page = page, id = id, caption = caption}
  return listing("\\transcript", args[1], caption, id, "Transcrição\u{a0}" .. number .. ":", "")
end

local function seed_listing(nn)
  local caption = seed_captions[nn]
  if not caption then fail("\\seedlisting{" .. nn .. "}", "no caption for the seed's Listing '" .. nn .. "' in chapters/seed/listings.tsv") end
  local inlines = pandoc.List({pandoc.Str("dado"), pandoc.Space(), pandoc.Str("histórico:"), pandoc.Space()})
  local n = 0
  for piece in (caption .. "`"):gmatch("([^`]*)`") do
    n = n + 1
    if piece ~= "" then
      if n % 2 == 0 then inlines:insert(pandoc.Code(piece))
      else inlines:insert(pandoc.Str(piece)) end
    end
  end
  inlines:insert(pandoc.Str("."))
  local id = "listagem-" .. nn
  anchor = {id = id, number = tostring(tonumber(nn))}
  labels["seed:" .. nn] = {page = page, id = id, number = anchor.number}
  items[#items + 1] = {kind = "seed", number = tostring(tonumber(nn)), page = page, id = id, caption = inlines}
  return listing("\\seedlisting", "chapters/seed/listing-" .. nn .. ".txt", inlines, id,
    "Listagem\u{a0}" .. tonumber(nn) .. " do relatório original (2004),", " seed")
end

-- A raw LaTeX block of the prose: tables, figures, transcripts, listings,
-- and the LaTeX text around them.
local function raw_block(text)
  local s = expand(text, true)
  local out = pandoc.List()
  local i = 1
  local starts = {"\\begin{table}", "\\begin{figure}", "\\transcript", "\\seedlisting"}
  while i <= #s do
    local first, which = nil, nil
    for _, start in ipairs(starts) do
      local at = s:find(start, i, true)
      if at and (not first or at < first) then first, which = at, start end
    end
    local before = s:sub(i, (first or #s + 1) - 1)
    if before:match("%S") then
      local doc = pandoc.read(before, "latex+raw_tex")
      out:extend(process_blocks(doc.blocks))
    end
    if not first then break end
    if which == "\\begin{table}" or which == "\\begin{figure}" then
      local env = which:match("{(%a+)}")
      local close = "\\end{" .. env .. "}"
      local stop = s:find(close, first, true)
      if not stop then fail(which, which .. " without " .. close) end
      local body = s:sub(first + #which, stop - 1):gsub("^%[[^%]]*%]", "")
      out:extend(env == "table" and table_env(body) or figure_env(body))
      i = stop + #close
    elseif which == "\\transcript" then
      local args, after = arguments(s, first + #which, 3, false, which)
      out:extend(transcript(args))
      i = after
    else
      local args, after = arguments(s, first + #which, 1, false, which)
      out:extend(seed_listing(args[1]))
      i = after
    end
  end
  return out
end

local function set_file(file)
  local name = file:match("([^/]+)%.nw$")
  if not name then fail("NWXFILE", "a chapter file is NN-slug.nw: " .. file) end
  local manual = (file:match("^manual/") or file:match("/manual/[^/]+$")) and manual_numbers[name]
  page = (manual and MANUAL_DIR or "") .. name .. ".html"
  chapter_number = manual or numbers[name]
  counters = {}
  anchor = nil
end

process_inlines = function(inlines)
  local out = pandoc.List()
  for _, el in ipairs(inlines) do
    if el.t == "RawInline" and (el.format == "tex" or el.format == "latex") then
      out:extend(raw_inline(el.text))
    elseif el.t == "RawInline" and el.format == "html" then
      out:insert(el)
    elseif el.t == "Cite" then -- pandoc's LaTeX reader reads \cite itself
      local keys = {}
      for _, c in ipairs(el.citations) do keys[#keys + 1] = c.id end
      cites[#cites + 1] = {keys = table.concat(keys, ","), chunk = chunk, page = page}
      out:insert(pandoc.Str("NWXCITE" .. #cites .. "X"))
    elseif el.t == "Note" then
      el.content = process_blocks(el.content)
      out:insert(el)
    elseif el.content and type(el.content) ~= "string" and el.t ~= "Code" then
      el.content = process_inlines(el.content)
      out:insert(el)
    else
      out:insert(el)
    end
  end
  return out
end

-- A heading's id is pandoc's, from its text (ascii_identifiers), made
-- unique in its page rather than in the book: pandoc's run covers every
-- chapter, so the book's fifth "Resultados" was "resultados-4", and a
-- chapter added before it renamed it. Now it is "resultados" in each
-- chapter's page (and "resultados-2" for a second one in the same page).
-- An id written in the source ({#cap:...}) is kept.
local header_ids = {} -- every heading id pandoc gave, in the run
local page_ids = {}   -- page -> the heading ids given in that page
local function page_stable_id(h)
  local id = h.identifier
  if id == "" then return end
  local base = id:match("^(.-)%-%d+$")
  local new = (base and header_ids[base]) and base or id
  header_ids[id] = true
  local used = page_ids[page] or {}
  page_ids[page] = used
  if used[new] then
    local n = 2
    while used[new .. "-" .. n] do n = n + 1 end
    new = new .. "-" .. n
  end
  used[new] = true
  h.identifier = new
end

local function number_header(h)
  page_stable_id(h)
  if standalone then return end
  if h.level == 1 then
    counters = {}
    local word = chapter_number and chapter_number:match("%a") and "Apêndice" or "Capítulo"
    if chapter_number then
      local content = pandoc.List({pandoc.Span({pandoc.Str(word .. "\u{a0}" .. chapter_number)}, pandoc.Attr("", {"chapter-number"})), pandoc.LineBreak()})
      content:extend(h.content)
      items[#items + 1] = {kind = "chapter", number = chapter_number, page = page, id = h.identifier, caption = h.content}
      h.content = content
    end
    anchor = {id = h.identifier, number = chapter_number or ""}
    section_here = chapter_number or ""
  elseif h.level <= 3 and not h.classes:includes("unnumbered") then
    counters.section = counters.section or 0
    counters.subsection = counters.subsection or 0
    local number
    if h.level == 2 then
      counters.section = counters.section + 1
      counters.subsection = 0
      number = (chapter_number or "") .. "." .. counters.section
    else
      counters.subsection = counters.subsection + 1
      number = (chapter_number or "") .. "." .. counters.section .. "." .. counters.subsection
    end
    items[#items + 1] = {kind = h.level == 2 and "section" or "subsection", number = number, page = page,
      id = h.identifier, caption = h.content}
    local content = pandoc.List({pandoc.Span({pandoc.Str(number)}, pandoc.Attr("", {"section-number"})), pandoc.Space()})
    content:extend(h.content)
    h.content = content
    anchor = {id = h.identifier, number = number}
    section_here = number
  end
  if h.identifier ~= "" and not labels[h.identifier] and anchor then
    labels[h.identifier] = {page = page, id = h.identifier, number = anchor.number}
  end
end

process_blocks = function(blocks)
  local out = pandoc.List()
  for _, b in ipairs(blocks) do
    if b.t == "RawBlock" and b.format == "html" and b.text:match("^<!%-%- NWXFILE ") then
      set_file(b.text:match("^<!%-%- NWXFILE (.-) %-%->"))
    elseif b.t == "RawBlock" and (b.format == "tex" or b.format == "latex") then
      out:extend(raw_block(b.text))
    elseif b.t == "Para" and #b.content == 1 and b.content[1].t == "Str" and b.content[1].text == SEPARATOR then
      chunk = chunk + 1
      out:insert(pandoc.RawBlock("html", SEPARATOR)) -- bare, for nwpandoc to split at
    elseif b.t == "Header" then
      b.content = process_inlines(b.content)
      number_header(b)
      out:insert(b)
    elseif b.t == "Para" or b.t == "Plain" or b.t == "LineBlock" then
      if b.t == "LineBlock" then
        for n, line in ipairs(b.content) do b.content[n] = process_inlines(line) end
      else
        b.content = process_inlines(b.content)
      end
      out:insert(b)
    elseif b.t == "BlockQuote" or b.t == "Div" then
      b.content = process_blocks(b.content)
      out:insert(b)
    elseif b.t == "BulletList" or b.t == "OrderedList" then
      for n, item in ipairs(b.content) do b.content[n] = process_blocks(item) end
      out:insert(b)
    elseif b.t == "DefinitionList" then
      for n, item in ipairs(b.content) do
        item[1] = process_inlines(item[1])
        for m, definition in ipairs(item[2]) do item[2][m] = process_blocks(definition) end
        b.content[n] = item
      end
      out:insert(b)
    elseif b.t == "Table" then
      out:insert(pandoc.walk_block(b, {RawInline = function(el)
        if el.format == "tex" or el.format == "latex" then return raw_inline(el.text) end
      end}))
    else
      out:insert(b)
    end
  end
  return out
end

-- ------------------------------------------------- pass 2: the links

local function href(target, from)
  if target.page == from then return "#" .. target.id end
  return relative(target.page, from) .. "#" .. target.id
end

-- An error inside pandoc.walk_block would reach the user with a Lua stack;
-- the walk notes the first and Pandoc() reports it after.
local deferred = nil

local function later(chunk_number, needle, message)
  if not deferred then deferred = {chunk = chunk_number, needle = needle, message = message} end
end

local function resolve_ref(n)
  local ref = refs[n]
  local target = labels[ref.label]
  -- The build manual's \ref{caderno-LABEL}: the book's LABEL.
  local book = ref.label:match("^caderno%-(.*)$")
  if not target and book and labels[book] and labels[book].page:sub(1, #MANUAL_DIR) ~= MANUAL_DIR then
    target = labels[book]
  end
  if not target then
    later(ref.chunk, "\\ref{" .. ref.label .. "}", "\\ref{" .. ref.label .. "}: no such label in the book")
    return {page = ref.page, id = "", number = "?"}, ref
  end
  return target, ref
end

local function cite_inlines(n)
  local cite = cites[n]
  local out = pandoc.List({pandoc.Str("[")})
  local first = true
  for key in cite.keys:gmatch("[^,%s]+") do
    local number = bibliography[key]
    if not number then
      later(cite.chunk, "\\cite{" .. key .. "}", "\\cite{" .. key .. "}: no \\bibitem{" .. key .. "} in book/referencias.tex")
      number = "?"
    end
    if not first then out:insert(pandoc.Str(", ")) end
    out:insert(pandoc.Link({pandoc.Str(tostring(number))}, up(cite.page or page) .. "referencias.html#ref-" .. key, "",
      pandoc.Attr("", {"cite"})))
    first = false
  end
  out:insert(pandoc.Str("]"))
  return out
end

-- A placeholder in plain text (a figure's alt text) becomes the number.
local function resolve_text(s)
  s = s:gsub("NWXIDX%d+X", "")
  s = s:gsub("NWXREF(%d+)X", function(n) return resolve_ref(tonumber(n)).number end)
  s = s:gsub("NWXCITE(%d+)X", function(n)
    local keys = {}
    for key in cites[tonumber(n)].keys:gmatch("[^,%s]+") do keys[#keys + 1] = tostring(bibliography[key] or "?") end
    return "[" .. table.concat(keys, ", ") .. "]"
  end)
  return s
end

local function resolve_str(el)
  if not el.text:find("NWX", 1, true) then return nil end
  local out = pandoc.List()
  local s, i = el.text, 1
  while true do
    local a, b, kind, n = s:find("NWX(%u+)(%d+)X", i)
    while a and kind ~= "REF" and kind ~= "CITE" and kind ~= "IDX" do
      a, b, kind, n = s:find("NWX(%u+)(%d+)X", b + 1)
    end
    if not a then
      if i <= #s then out:insert(pandoc.Str(s:sub(i))) end
      break
    end
    if a > i then out:insert(pandoc.Str(s:sub(i, a - 1))) end
    if kind == "IDX" then
      out:insert(pandoc.RawInline("html", '<span class="idx" id="' .. index_marks[tonumber(n)].id .. '"></span>'))
    elseif kind == "REF" then
      local target, ref = resolve_ref(tonumber(n))
      out:insert(pandoc.Link({pandoc.Str(target.number)}, href(target, ref.page), "", pandoc.Attr("", {"ref"})))
    else
      out:extend(cite_inlines(tonumber(n)))
    end
    i = b + 1
  end
  return out
end

local function write_data()
  if not data_dir or standalone then return end
  local f = assert(io.open(data_dir .. "/labels.tsv", "w"))
  for label, target in pairs(labels) do
    f:write(label, "\t", target.page, "\t", target.id, "\t", target.number, "\n")
  end
  f:close()
  -- index.tsv: PAGE ID SECTION BOLD KEY SHOWN [KEY SHOWN], a line per entry.
  f = assert(io.open(data_dir .. "/index.tsv", "w"))
  for _, mark in ipairs(index_marks) do
    for _, levels in ipairs(mark.entries) do
      f:write(mark.page, "\t", mark.id, "\t", mark.section, "\t", mark.bold and "1" or "0")
      for _, level in ipairs(levels) do f:write("\t", level.key, "\t", level.shown) end
      f:write("\n")
    end
  end
  f:close()
  f = assert(io.open(data_dir .. "/items.tsv", "w"))
  for _, item in ipairs(items) do
    local text = resolve_text(pandoc.utils.stringify(item.caption)):gsub("[\t\n]", " ")
    f:write(item.kind, "\t", item.number, "\t", item.page, "\t", item.id, "\t", text, "\n")
  end
  f:close()
end

function Pandoc(doc)
  doc.blocks = process_blocks(doc.blocks)
  local filter = {
    Str = resolve_str,
    RawBlock = function(el)
      if el.format == "html" then el.text = resolve_text(el.text) return el end
    end,
    RawInline = function(el)
      if el.format == "html" then el.text = resolve_text(el.text) return el end
    end,
  }
  doc = pandoc.walk_block(pandoc.Div(doc.blocks), filter)
  if deferred then
    chunk = deferred.chunk
    fail(deferred.needle, deferred.message)
  end
  write_data()
  return pandoc.Pandoc(doc.content)
end
