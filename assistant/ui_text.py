"""Every text of the chat application, in Swedish and English (no gradio here)."""

from __future__ import annotations

from typing import Literal

UiLang = Literal["sv", "en"]

LANGUAGE_CHOICES: list[tuple[str, str]] = [("Svenska", "sv"), ("English", "en")]

# Example questions are Swedish in both interface languages: the documents are Swedish.
EXAMPLES: list[str] = [
    "Vad är skillnaden mellan förbättring och förnyelse i produktionen?",
    "Vilka fyra områden är viktiga för att lyckas med förnyelse i produktion?",
    "Vad menas med produktdesignutrymmet?",
    "Vad innebär ambidexteritet för ett industriföretag?",
    "Vad är Produktionslyftet 4.0?",
]

TEXT: dict[str, dict[str, str]] = {
    "sv": {
        "title": "Produktionsrådgivaren",
        "header": "## Produktionsrådgivaren\n"
        "Ställ frågor om förbättring och förnyelse i produktionen. Svaren bygger bara på "
        "dokumenten, och varje påstående har en källa som du kan läsa till höger.",
        "language": "Språk",
        "tab_chat": "Fråga",
        "tab_coach": "Coachunderlag",
        "tab_documents": "Dokument",
        "chat_label": "Samtal",
        "chat_placeholder": "**Välkommen!** Skriv en fråga nedan eller välj ett exempel.",
        "input_placeholder": "Skriv din fråga här och tryck Enter …",
        "send": "Fråga",
        "retry": "Svara igen",
        "undo": "Ångra senaste",
        "clear": "Nytt samtal",
        "sources": "Källor",
        "sources_empty": "Här visas källorna till svaret: dokumentet, var i det och den "
        "mening som svaret bygger på (markerad).",
        "searching": "Söker i dokumenten …",
        "page": "s.",
        "no_date": "odaterad",
        "notice_refusal": "Dokumenten ger inget tydligt svar på den frågan. Prova att "
        "formulera om den, fråga mer avgränsat, eller lägg till dokument under fliken Dokument.",
        "notice_error": "Det gick inte att svara just nu. Försök igen om en stund; om det "
        "upprepas, kontakta den som driftar tjänsten.",
        "notice_empty_index": "Inga dokument är indexerade ännu. Kör `make run` (eller "
        "`assistant ingest`) i en terminal, eller ladda upp dokument under fliken Dokument.",
        "comment_up": "Tack! Vad var bra med svaret? (valfritt)",
        "comment_down": "Tack! Vad saknades eller var fel? (valfritt)",
        "comment_send": "Skicka kommentar",
        "feedback_saved": "Tack, din återkoppling är sparad.",
        "feedback_removed": "Återkopplingen är borttagen.",
        "comment_saved": "Tack för kommentaren!",
        "feedback_only_answers": "Det går bara att betygsätta assistentens svar.",
        "coach_intro": "Skapa ett underlag för en coachträff: nyckelpunkter som ordagranna "
        "citat med källor, diskussionsfrågor och en agenda. Välj ett ämne eller skriv ett eget.",
        "coach_topic": "Ämne",
        "coach_free": "… eller eget ämne (fritext)",
        "coach_free_placeholder": "t.ex. digitalisering i små företag",
        "coach_build": "Skapa underlag",
        "coach_empty": "Underlaget visas här.",
        "coach_md": "Ladda ner som Markdown (.md)",
        "coach_docx": "Ladda ner som Word (.docx)",
        "coach_file": "coachunderlag",
        "docs_intro": "De dokument som assistenten svarar utifrån. Ladda upp fler (PDF, Word, "
        "Markdown, text eller HTML, högst {max_mb} MB per fil); de sparas i dokumentmappen "
        "och indexeras direkt.",
        "docs_table": "Indexerade dokument",
        "col_title": "Titel",
        "col_org": "Organisation",
        "col_date": "Datum",
        "col_kind": "Typ",
        "col_lang": "Språk",
        "col_chunks": "Avsnitt",
        "col_file": "Fil",
        "upload": "Ladda upp dokument",
        "upload_btn": "Lägg till och indexera",
        "reindex_btn": "Indexera om alla dokument",
        "no_files": "Välj en eller flera filer först.",
        "status_line": "{documents} dokument, {chunks} avsnitt indexerade.",
        "status_stale": "Dokumentmappen har ändrats sedan senaste indexeringen: "
        "tryck på Indexera om alla dokument.",
        "stage_load": "Läser dokument",
        "stage_embed": "Beräknar inbäddningar",
        "stage_sentences": "Förbereder meningar",
        "stage_index": "Bygger sökindex",
        "up_saved": "sparad",
        "up_same": "fanns redan (samma innehåll)",
        "up_renamed": "en annan fil med samma namn fanns redan, så den här sparades som {name}",
        "up_too_big": "för stor ({size:.1f} MB, högst {max_mb} MB)",
        "up_bad_type": "filtypen stöds inte (tillåtna: {types})",
        "up_failed": "kunde inte sparas: {reason}",
        "res_uploads": "Uppladdning",
        "res_added": "Nya dokument",
        "res_updated": "Uppdaterade dokument",
        "res_removed": "Borttagna ur index",
        "res_unchanged": "{n} dokument oförändrade.",
        "res_failures": "Kunde inte läsas (övriga dokument är indexerade)",
        "res_summary": "Klart på {seconds:.1f} s: {chunks} avsnitt i indexet.",
        "res_error": "Indexeringen kunde inte köras:",
    },
    "en": {
        "title": "Produktionsrådgivaren",
        "header": "## Produktionsrådgivaren\n"
        "Ask about improvement and renewal in production. Answers rest only on the documents, "
        "and every statement has a source you can read on the right.",
        "language": "Language",
        "tab_chat": "Ask",
        "tab_coach": "Coaching pack",
        "tab_documents": "Documents",
        "chat_label": "Conversation",
        "chat_placeholder": "**Welcome!** Type a question below or pick an example.",
        "input_placeholder": "Type your question here and press Enter …",
        "send": "Ask",
        "retry": "Answer again",
        "undo": "Undo last",
        "clear": "New conversation",
        "sources": "Sources",
        "sources_empty": "The sources of the answer appear here: the document, where in it, and "
        "the sentence the answer rests on (highlighted).",
        "searching": "Searching the documents …",
        "page": "p.",
        "no_date": "undated",
        "notice_refusal": "The documents give no clear answer to that question. Try rephrasing "
        "it, asking something narrower, or adding documents in the Documents tab.",
        "notice_error": "No answer could be given just now. Please try again in a moment; if "
        "it happens again, contact whoever runs the service.",
        "notice_empty_index": "No documents are indexed yet. Run `make run` (or "
        "`assistant ingest`) in a terminal, or upload documents in the Documents tab.",
        "comment_up": "Thanks! What was good about the answer? (optional)",
        "comment_down": "Thanks! What was missing or wrong? (optional)",
        "comment_send": "Send comment",
        "feedback_saved": "Thank you, your feedback is saved.",
        "feedback_removed": "Your feedback was removed.",
        "comment_saved": "Thank you for the comment!",
        "feedback_only_answers": "Only the assistant's answers can be rated.",
        "coach_intro": "Create a pack for a coaching session: key points as verbatim quotes with "
        "sources, discussion questions and an agenda. Pick a topic or type your own.",
        "coach_topic": "Topic",
        "coach_free": "… or your own topic (free text)",
        "coach_free_placeholder": "e.g. digitalisation in small companies",
        "coach_build": "Create pack",
        "coach_empty": "The pack appears here.",
        "coach_md": "Download as Markdown (.md)",
        "coach_docx": "Download as Word (.docx)",
        "coach_file": "coaching-pack",
        "docs_intro": "The documents the assistant answers from. Upload more (PDF, Word, "
        "Markdown, text or HTML, at most {max_mb} MB per file); they are saved in the documents "
        "folder and indexed right away.",
        "docs_table": "Indexed documents",
        "col_title": "Title",
        "col_org": "Organisation",
        "col_date": "Date",
        "col_kind": "Kind",
        "col_lang": "Language",
        "col_chunks": "Passages",
        "col_file": "File",
        "upload": "Upload documents",
        "upload_btn": "Add and index",
        "reindex_btn": "Re-index all documents",
        "no_files": "Choose one or more files first.",
        "status_line": "{documents} documents, {chunks} passages indexed.",
        "status_stale": "The documents folder has changed since the last indexing: press "
        "Re-index all documents.",
        "stage_load": "Reading documents",
        "stage_embed": "Computing embeddings",
        "stage_sentences": "Preparing sentences",
        "stage_index": "Building the search index",
        "up_saved": "saved",
        "up_same": "already there (same content)",
        "up_renamed": "a different file with this name already existed, so this one was saved "
        "as {name}",
        "up_too_big": "too large ({size:.1f} MB, at most {max_mb} MB)",
        "up_bad_type": "file type not supported (allowed: {types})",
        "up_failed": "could not be saved: {reason}",
        "res_uploads": "Upload",
        "res_added": "New documents",
        "res_updated": "Updated documents",
        "res_removed": "Removed from the index",
        "res_unchanged": "{n} documents unchanged.",
        "res_failures": "Could not be read (the other documents are indexed)",
        "res_summary": "Done in {seconds:.1f} s: {chunks} passages in the index.",
        "res_error": "Indexing could not run:",
    },
}


def text(lang: str, key: str, **values: object) -> str:
    """The interface text ``key`` in ``lang`` (Swedish when unknown), formatted with values."""
    table = TEXT.get(lang, TEXT["sv"])
    template = table.get(key, TEXT["sv"][key])
    return template.format(**values) if values else template
