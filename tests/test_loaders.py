from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import docx
import pytest
from reportlab.lib import pdfencrypt
from reportlab.pdfgen import canvas

from assistant.errors import AssistantError
from assistant.loaders import (
    SUPPORTED,
    LoadError,
    discover,
    load_all,
    load_document,
    prettify,
)
from assistant.normalise import normalise

# --- builders of real files ------------------------------------------------------------------


def make_pdf(path: Path, pages: list[list[str]], title: str = "", **kw: object) -> Path:
    c = canvas.Canvas(str(path), **kw)  # type: ignore[arg-type]
    if title:
        c.setTitle(title)
    for lines in pages:
        for i, line in enumerate(lines):
            c.drawString(72, 750 - 15 * i, line)
        c.showPage()
    c.save()
    return path


def make_docx(path: Path, *, core_title: str = "") -> Path:
    d = docx.Document()
    d.core_properties.title = core_title
    d.core_properties.author = "Birgitta Öjmertz"
    d.core_properties.created = dt.datetime(2019, 12, 20, 10, 0)
    d.add_heading("Samverkan i verkstaden", level=0)
    d.add_paragraph("Vi har haft en intensiv höst med många företag.")
    d.add_heading("Startprogram", level=1)
    d.add_paragraph("Smart Maintenance med Chalmers.", style="List Bullet")
    d.add_heading("Resultat", level=2)
    table = d.add_table(rows=2, cols=2)
    for r, (a, b) in enumerate([("Mått", "Värde"), ("Ledtid", "12 dagar")]):
        table.cell(r, 0).text = a
        table.cell(r, 1).text = b
    d.add_paragraph("")  # empty paragraphs are dropped
    d.add_paragraph("Efter  tabellen\nkommer text.")
    d.save(str(path))
    return path


HTML = """<!DOCTYPE html>
<html lang="sv-SE"><head><title>Samverkan samverkan samverkan</title>
<meta name="author" content="Birgitta Öjmertz">
<meta property="article:published_time" content="2019-12-20T09:00:00+01:00">
<style>p { color: red }</style><script>var hemlig = "skript";</script></head>
<body>
<header><a href="/">Produktionslyftet</a> meny</header>
<nav><ul><li>Hem</li><li>Om oss</li></ul></nav>
<article>
<header><h1>Samverkan   samverkan</h1></header>
<p>Vi kan se tillbaka på en
   väldigt intensiv höst.<!-- en kommentar --></p>
<h2>Startprogram</h2>
<ul><li>Smart Maintenance</li><li>Go <b>Global</b></li></ul>
<blockquote><p>Citat från en deltagare.</p></blockquote>
<table><tr><td>Ledtid</td><td>12 dagar</td></tr></table>
<div>Text direkt i en div<br>med radbrytning.</div>
</article>
<aside>Relaterat innehåll</aside>
<form><input name="q"> Sök</form>
<footer>Produktionslyftets partner</footer>
<noscript>Aktivera javascript</noscript>
</body></html>
"""

MARKDOWN = """---
title: Produktionsinnovation
organisation: Produktion2030
author: [Anna, Bo]
date: 2020-05-01
kind: artikel
language: sv
url: https://produktion2030.se
okänd: ignoreras
---
# Rubriken i texten

Att vara innovativ kan betyda för-
bättring av det befintliga.

- punkt ett
- punkt två
"""


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_pages_spans_and_title(tmp_path: Path) -> None:
    pdf = make_pdf(
        tmp_path / "rapport.pdf",
        [
            ["Förbättringsarbete i små företag", "Vi arbetar med för-", "bättring av flödet."],
            ["Sida två: åäö ÅÄÖ och", "informations- och ledningssystem."],
        ],
        title="Testrapport",
    )
    doc = load_document(pdf, tmp_path)
    page1 = "Förbättringsarbete i små företag Vi arbetar med förbättring av flödet."
    page2 = "Sida två: åäö ÅÄÖ och informations- och ledningssystem."
    assert doc.text == page1 + "\n\n" + page2
    assert [(p.page, doc.text[p.start : p.end]) for p in doc.pages] == [(1, page1), (2, page2)]
    assert doc.page_at(doc.text.index("flödet")) == 1
    assert doc.page_at(doc.text.index("ÅÄÖ")) == 2
    assert doc.meta.title == "Testrapport"
    assert doc.meta.language == "sv"
    assert doc.id == "rapport.pdf" and doc.path == str(pdf)
    assert normalise(doc.text) == doc.text


def test_pdf_empty_page_skipped_and_title_from_stem(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "min-rapport_2020.pdf", [["Första sidan."], [], ["Tredje sidan."]])
    doc = load_document(pdf, tmp_path)
    assert doc.meta.title == "Min rapport 2020"
    assert doc.text == "Första sidan.\n\nTredje sidan."
    assert [(p.page, p.start, p.end) for p in doc.pages] == [(1, 0, 13), (3, 15, 28)]


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    pdf = tmp_path / "skannad.pdf"
    c = canvas.Canvas(str(pdf))
    c.rect(100, 100, 200, 200, fill=1)  # an image-like page with no text
    c.showPage()
    c.save()
    with pytest.raises(LoadError) as err:
        load_document(pdf, tmp_path)
    assert err.value.reason == "PDF has no text layer (scanned?)"
    assert err.value.path == str(pdf)
    assert isinstance(err.value, AssistantError)


def test_broken_pdf(tmp_path: Path) -> None:
    pdf = write(tmp_path / "trasig.pdf", os.urandom(2048))
    with pytest.raises(LoadError) as err:
        load_document(pdf, tmp_path)
    assert err.value.reason.startswith("damaged PDF: ")


def test_password_protected_pdf(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "hemlig.pdf", [["Hemlig text"]], encrypt="lösen")
    with pytest.raises(LoadError, match="password-protected"):
        load_document(pdf, tmp_path)


def test_pdf_with_owner_password_only_is_read(tmp_path: Path) -> None:
    enc = pdfencrypt.StandardEncryption("", ownerPassword="ägare", canPrint=1)
    pdf = make_pdf(tmp_path / "skyddad.pdf", [["Öppen text."]], encrypt=enc)
    assert load_document(pdf, tmp_path).text == "Öppen text."


# --- .docx -----------------------------------------------------------------------------------


def test_docx_headings_lists_tables(tmp_path: Path) -> None:
    doc = load_document(make_docx(tmp_path / "ledare.docx"), tmp_path)
    assert doc.text == (
        "# Samverkan i verkstaden\n\n"
        "Vi har haft en intensiv höst med många företag.\n\n"
        "# Startprogram\n\n"
        "Smart Maintenance med Chalmers.\n\n"
        "## Resultat\n\n"
        "Mått | Värde\n\n"
        "Ledtid | 12 dagar\n\n"
        "Efter tabellen kommer text."
    )
    assert doc.meta.title == "Samverkan i verkstaden"  # the Title paragraph
    assert doc.meta.author == "Birgitta Öjmertz"
    assert doc.meta.date == "2019-12-20"


def test_docx_core_title_wins(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "ledare.docx", core_title="Ledare december")
    assert load_document(path, tmp_path).meta.title == "Ledare december"


def test_not_a_docx(tmp_path: Path) -> None:
    path = write(tmp_path / "falsk.docx", "det här är ingen zip-fil")
    with pytest.raises(LoadError) as err:
        load_document(path, tmp_path)
    assert err.value.reason.startswith("not a .docx file: ")


# --- HTML ------------------------------------------------------------------------------------


def test_html_drops_boilerplate_and_keeps_structure(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path / "sida.html", HTML), tmp_path)
    assert doc.text == (
        "# Samverkan samverkan\n\n"
        "Vi kan se tillbaka på en väldigt intensiv höst.\n\n"
        "## Startprogram\n\n"
        "Smart Maintenance\n\n"
        "Go Global\n\n"
        "Citat från en deltagare.\n\n"
        "Ledtid\n\n"
        "12 dagar\n\n"
        "Text direkt i en div med radbrytning."
    )
    for gone in ("hemlig", "color", "meny", "Om oss", "Relaterat", "Sök", "partner", "kommentar"):
        assert gone not in doc.text
    assert doc.meta.title == "Samverkan samverkan samverkan"
    assert doc.meta.language == "sv"
    assert doc.meta.author == "Birgitta Öjmertz"
    assert doc.meta.date == "2019-12-20"


def test_html_title_from_h1_and_language(tmp_path: Path) -> None:
    html = '<html lang="en"><body><h1>Lean basics</h1><p>Flow and pull.</p></body></html>'
    doc = load_document(write(tmp_path / "lean.htm", html), tmp_path)
    assert doc.meta.title == "Lean basics"
    assert doc.meta.language == "en"
    assert doc.text == "# Lean basics\n\nFlow and pull."


def test_html_without_text_is_empty(tmp_path: Path) -> None:
    html = "<html><body><nav>Meny</nav><script>x()</script></body></html>"
    with pytest.raises(LoadError, match="empty document"):
        load_document(write(tmp_path / "tom.html", html), tmp_path)


# --- Markdown and text -----------------------------------------------------------------------


def test_markdown_front_matter(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path / "sub" / "artikel.md", MARKDOWN), tmp_path)
    assert doc.id == "sub/artikel.md"
    assert doc.text == (
        "# Rubriken i texten\n\n"
        "Att vara innovativ kan betyda förbättring av det befintliga.\n\n"
        "- punkt ett\n- punkt två"
    )
    assert doc.meta.model_dump() == {
        "title": "Produktionsinnovation",
        "organisation": "Produktion2030",
        "author": "Anna, Bo",
        "date": "2020-05-01",
        "kind": "artikel",
        "language": "sv",
        "source": None,
        "url": "https://produktion2030.se",
    }


def test_markdown_title_from_heading_or_stem(tmp_path: Path) -> None:
    md = load_document(write(tmp_path / "a.md", "Intro.\n\n# Förnyelse i produktion\n"), tmp_path)
    assert md.meta.title == "Förnyelse i produktion"
    stem = load_document(write(tmp_path / "kort_text.markdown", "Bara text."), tmp_path)
    assert stem.meta.title == "Kort text"
    lang = load_document(write(tmp_path / "en.md", "---\nlang: en-GB\n---\nText."), tmp_path)
    assert lang.meta.language == "en"
    assert lang.text == "Text."


def test_markdown_bad_yaml(tmp_path: Path) -> None:
    path = write(tmp_path / "trasig.md", "---\ntitle: [inte stängd\n---\nText.\n")
    with pytest.raises(LoadError) as err:
        load_document(path, tmp_path)
    assert err.value.reason.startswith("bad YAML front matter: ")
    not_mapping = write(tmp_path / "lista.md", "---\n- a\n- b\n---\nText.\n")
    with pytest.raises(LoadError, match="bad YAML front matter"):
        load_document(not_mapping, tmp_path)


def test_markdown_in_a_legacy_encoding_is_decoded_like_text(tmp_path: Path) -> None:
    path = write(tmp_path / "latin.md", "# Förnyelse\n\nFörbättring – åäö".encode("cp1252"))
    doc = load_document(path, tmp_path)
    assert doc.text.endswith("Förbättring – åäö") and doc.meta.title == "Förnyelse"


def test_txt_utf8_and_title(tmp_path: Path) -> None:
    path = write(tmp_path / "min-rapport_2020.txt", "\ufeffrad ett för-\nbättring\r\n\r\nny")
    doc = load_document(path, tmp_path)
    assert doc.text == "rad ett förbättring\n\nny"
    assert doc.meta.title == "Min rapport 2020"
    assert doc.meta.language == "sv"


def test_txt_legacy_encoding_is_decoded(tmp_path: Path) -> None:
    path = write(tmp_path / "gammal.txt", "Förbättring – åäö".encode("cp1252"))
    assert load_document(path, tmp_path).text == "Förbättring – åäö"


def test_binary_txt_and_empty_file(tmp_path: Path) -> None:
    binary = write(tmp_path / "bild.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(64))
    with pytest.raises(LoadError, match=r"binary file, not text$"):
        load_document(binary, tmp_path)
    empty = write(tmp_path / "tom.txt", "  \n\n ")
    with pytest.raises(LoadError) as err:
        load_document(empty, tmp_path)
    assert err.value.reason == "empty document"
    assert str(err.value) == f"{empty}: empty document"


def test_unsupported_extension_in_load_document(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"unsupported file type \.xyz"):
        load_document(write(tmp_path / "data.xyz", "x"), tmp_path)


def test_prettify() -> None:
    assert prettify("min-rapport_2020") == "Min rapport 2020"
    assert prettify("IUC__rapport") == "IUC rapport"


# --- discover and load_all -------------------------------------------------------------------


def _corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write(root / "b.md", "# B\n\nText b.")
    write(root / "a.txt", "Text a.")
    write(root / "sub" / "c.html", "<p>Text c.</p>")
    write(root / "README.md", "# Om korpusen")
    write(root / ".dold.md", "dold")
    write(root / ".git" / "x.md", "dold")
    write(root / "data.xyz", "x")
    write(root / "tom.txt", "")
    write(root / "trasig.pdf", b"%PDF-1.4 inte en riktig pdf")
    return root


def test_discover(tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    single = write(tmp_path / "annan" / "d.txt", "Text d.")
    found, failures = discover([root, single, tmp_path / "finns-inte", root / "b.md"])
    assert found == [
        (root / "a.txt", root),
        (root / "b.md", root),
        (root / "sub" / "c.html", root),
        (root / "tom.txt", root),
        (root / "trasig.pdf", root),
        (single, single.parent),
    ]
    supported = ", ".join(sorted(SUPPORTED))
    assert [f.model_dump() for f in failures] == [
        {
            "path": str(root / "data.xyz"),
            "reason": f"unsupported file type .xyz (supported: {supported})",
        },
        {"path": str(tmp_path / "finns-inte"), "reason": "no such file or folder"},
    ]


def test_load_all_continues_past_failures(tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    docs, failures = load_all([root])
    assert [d.id for d in docs] == ["a.txt", "b.md", "sub/c.html"]
    assert [d.text for d in docs] == ["Text a.", "# B\n\nText b.", "Text c."]
    reasons = {Path(f.path).name: f.reason for f in failures}
    assert set(reasons) == {"data.xyz", "tom.txt", "trasig.pdf"}
    assert reasons["tom.txt"] == "empty document"
    assert reasons["trasig.pdf"].startswith("damaged PDF: ")
    assert reasons["data.xyz"].startswith("unsupported file type .xyz")


def test_load_all_duplicate_ids(tmp_path: Path) -> None:
    first = write(tmp_path / "ett" / "rapport.md", "Första.")
    second = write(tmp_path / "två" / "rapport.md", "Andra.")
    docs, failures = load_all([first.parent, second.parent])
    assert [(d.id, d.text) for d in docs] == [("rapport.md", "Första.")]
    assert [f.model_dump() for f in failures] == [
        {
            "path": str(second),
            "reason": f"duplicate document id 'rapport.md' (already loaded from {first})",
        }
    ]


def test_load_all_same_file_twice_is_one_document(tmp_path: Path) -> None:
    path = write(tmp_path / "rapport.txt", "Text.")
    docs, failures = load_all([tmp_path, path])
    assert [d.id for d in docs] == ["rapport.txt"] and failures == []
