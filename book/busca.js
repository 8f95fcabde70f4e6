/* busca.js: the HTML edition's search (tools/html/nwhtml copies it to
   build/html/assets/). Every page loads it: it shows the search box of
   the page's header, which is hidden without JavaScript (a page needs no
   script to be read), but on busca.html, which has its own. There, with
   lunr.js (Debian's libjs-lunr) and the book's sections
   (assets/busca-dados.js, written by nwhtml: a script, not JSON, so that
   it loads from file:// too), it indexes the sections and shows those
   that have every word of ?q=, each with its page and section title and
   a link to the section.
   Accents do not matter: "conexao" finds "conexão", in the text as in the
   query (fold below). */
(function () {
  'use strict';

  const results = document.getElementById('busca-resultados');
  const status = document.getElementById('busca-status');
  const input = document.getElementById('busca-q');
  /* The header's box, but on busca.html, whose own form is the search:
     two boxes one above the other there would be one too many. */
  if (!results || !status || !input) {
    for (const form of document.querySelectorAll('form.search[hidden]')) form.hidden = false;
    return; /* a page other than busca.html */
  }
  const say = text => { status.textContent = text; };
  if (typeof lunr === 'undefined' || !Array.isArray(window.CADERNO_BUSCA)) {
    say('A busca não carregou (assets/lunr.min.js ou assets/busca-dados.js faltam).');
    return;
  }
  const sections = window.CADERNO_BUSCA;

  /* Each character to one character, lower case, without its accent
     (ã to a, ç to c): positions in a folded text are those of the text. */
  const fold = text => text.replace(/[^\u0000-\u007f]/g, ch => ch.normalize('NFD')[0] || ch)
    .toLowerCase();
  const foldToken = token => token.update(fold);
  lunr.Pipeline.registerFunction(foldToken, 'caderno-fold');
  /* lunr's trimmer (\W) would cut the accented letters it no longer sees. */
  const trim = word => word.replace(/^\W+/, '').replace(/\W+$/, '');
  const trimToken = token => token.update(trim);
  lunr.Pipeline.registerFunction(trimToken, 'caderno-trim');

  /* No English stemmer or stop words: the book is in Portuguese and C. */
  const index = lunr(function () {
    this.ref('n');
    this.field('s', {boost: 8}); /* the section's title */
    this.field('t');             /* its prose */
    this.field('c', {boost: 0.5}); /* its code */
    this.pipeline.reset();
    this.searchPipeline.reset();
    this.pipeline.add(foldToken, trimToken);
    this.searchPipeline.add(foldToken, trimToken);
    sections.forEach((section, n) => this.add({n: String(n), s: section.s, t: section.t, c: section.c}));
  });

  const words = query => lunr.tokenizer(fold(query)).map(t => trim(t.toString())).filter(w => w);

  /* Each word required, as a prefix ("acce" finds accept); a whole word
     counts more. */
  const search = query => {
    const terms = words(query);
    if (terms.length === 0) return [];
    return index.query(q => {
      for (const term of terms) {
        q.term(term, {usePipeline: false, boost: 4});
        q.term(term, {usePipeline: false, wildcard: lunr.Query.wildcard.TRAILING,
                      presence: lunr.Query.presence.REQUIRED});
      }
    });
  };

  /* Some 200 characters of text around the first word found, the words
     marked. */
  const excerpt = (text, terms) => {
    const folded = fold(text);
    let at = -1;
    for (const term of terms) {
      const found = folded.search(new RegExp('(^|[^a-z0-9_])' + term.replace(/[^a-z0-9_]/g, '\\$&')));
      if (found !== -1 && (at === -1 || found < at)) at = found;
    }
    /* Whole words: from the space before, to the space after. */
    let start = Math.max(0, at - 60);
    if (start > 0 && text.indexOf(' ', start) !== -1 && text.indexOf(' ', start) < Math.max(at, start + 1))
      start = text.indexOf(' ', start) + 1;
    let end = Math.min(text.length, start + 200);
    if (end < text.length && text.lastIndexOf(' ', end) > start) end = text.lastIndexOf(' ', end);
    const piece = text.slice(start, end);
    const p = document.createElement('p');
    p.className = 'excerpt';
    if (start > 0) p.append('… ');
    const pattern = new RegExp(terms.map(t => t.replace(/[^a-z0-9_]/g, '\\$&')).join('|'), 'g');
    const foldedPiece = fold(piece);
    let last = 0;
    for (const m of foldedPiece.matchAll(pattern)) {
      if (m[0].length === 0) continue;
      p.append(piece.slice(last, m.index));
      const mark = document.createElement('mark');
      mark.textContent = piece.slice(m.index, m.index + m[0].length);
      p.append(mark);
      last = m.index + m[0].length;
    }
    p.append(piece.slice(last));
    if (end < text.length) p.append(' …');
    return p;
  };

  const show = query => {
    results.replaceChildren();
    const terms = words(query);
    if (terms.length === 0) {
      say('');
      return;
    }
    let found;
    try {
      found = search(query);
    } catch (error) {
      say('Não entendi a busca: ' + error.message);
      return;
    }
    say(found.length === 0 ? `Nada encontrado para “${query}”.` :
      `${found.length} ${found.length === 1 ? 'seção' : 'seções'} com “${query}”:`);
    for (const hit of found.slice(0, 100)) {
      const section = sections[Number(hit.ref)];
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = section.u;
      a.textContent = section.s;
      const page = document.createElement('span');
      page.className = 'result-page';
      page.textContent = section.p;
      li.append(page, document.createElement('br'), a,
        excerpt(section.t || section.c || '', terms));
      results.append(li);
    }
  };

  const query = new URLSearchParams(location.search).get('q') || '';
  input.value = query;
  show(query);
  input.addEventListener('input', () => show(input.value));
}());
