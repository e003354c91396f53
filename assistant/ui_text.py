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
        "dokumenten: klicka på en siffra som [1] i svaret för att läsa källan under det.",
        "language": "Språk",
        "tab_chat": "Fråga",
        "tab_coach": "Coachunderlag",
        "tab_documents": "Dokument",
        "chat_label": "Samtal",
        "chat_placeholder": "**Välkommen!** Skriv en fråga nedan eller välj ett exempel.",
        "input_label": "Din fråga",
        "input_placeholder": "Skriv en fråga …",
        "send": "Fråga",
        "retry": "Svara igen",
        "undo": "Ångra senaste",
        "clear": "Nytt samtal",
        "sources": "Källor",
        "sources_empty": "Här visas källorna till svaret: dokumentet, var i det och den "
        "mening som svaret bygger på (markerad).",
        "searching": "Söker i dokumenten …",
        "writing": "Skriver svaret …",
        "sources_summary": "Källor ({n} dokument)",
        "nearby_summary": "Närliggande avsnitt ({n} dokument), inget av dem besvarar frågan",
        "more_summary": "Läs mer: {n} avsnitt till som kan svara på frågan",
        "section": "Avsnitt",
        "show_more": "Visa mer",
        "page": "s.",
        "no_date": "odaterad",
        "notice_refusal": "Dokumenten ger inget tydligt svar på den frågan. Prova att "
        "formulera om den eller fråga mer avgränsat. Tror du att dokumenten borde svara, hör av "
        "dig till den som ansvarar för tjänsten.",
        "notice_error": "Det gick inte att svara just nu. Försök igen om en stund; om det "
        "upprepas, kontakta den som driftar tjänsten.",
        "notice_empty_index": "Inga dokument är indexerade ännu. Kör `make run` (eller "
        "`assistant ingest`) i en terminal, eller logga in som administratör under "
        "Inställningar och ladda upp dokument.",
        "comment_up": "Vad var bra med svaret? (valfritt, Enter skickar)",
        "comment_down": "Vad saknades eller var fel? (valfritt, Enter skickar)",
        "comment_send": "Skicka",
        "feedback_saved": "Tack, ditt betyg är sparat. Skriv gärna en kommentar.",
        "feedback_removed": "Återkopplingen är borttagen.",
        "feedback_unavailable": "Återkopplingen kunde inte sparas just nu (felet är loggat "
        "åt administratören). Chatten fungerar som vanligt.",
        "comment_saved": "Tack för kommentaren!",
        "feedback_only_answers": "Det går bara att betygsätta assistentens svar.",
        "feedback_bad_rating": "Ett betyg är 1 (bra), -1 (dåligt) eller 0 (ta tillbaka).",
        "coach_intro": "Skapa ett underlag för en coachträff: nyckelpunkter som ordagranna "
        "citat med källor, diskussionsfrågor och en agenda. Välj ett område ur listan eller skriv "
        "ett eget ämne.",
        "coach_mode": "Underlag om",
        "coach_mode_area": "ett område ur ramverket",
        "coach_mode_free": "ett eget ämne",
        "coach_free_empty": "Skriv först vilket ämne underlaget ska handla om.",
        "coach_topic": "Område",
        "coach_free": "Eget ämne",
        "coach_free_placeholder": "t.ex. digitalisering i små företag",
        "coach_build": "Skapa underlag",
        "coach_empty": "Underlaget visas här.",
        "coach_md": "Ladda ner som Markdown (.md)",
        "coach_docx": "Ladda ner som Word (.docx)",
        "coach_file": "coachunderlag",
        "docs_intro": "De dokument som assistenten svarar utifrån. Ladda upp fler (PDF, Word, "
        "Markdown, text eller HTML, högst {max_mb} MB per fil); en fil som inte går att läsa "
        "sparas inte, de andra sparas i dokumentmappen och indexeras direkt.",
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
        "cancel_btn": "Avbryt indexeringen",
        "cancelling": "Avbryter indexeringen …",
        "nothing_to_cancel": "Ingen indexering pågår.",
        "res_cancelled": "Indexeringen avbröts. Det tidigare indexet gäller fortfarande; det som "
        "hann beräknas sparas och återanvänds nästa gång.",
        "no_files": "Välj en eller flera filer först.",
        "status_line": "{documents} dokument, {chunks} avsnitt indexerade.",
        "status_stale": "Indexet är inaktuellt (dokumentmappen eller textanalysen har ändrats "
        "sedan senaste indexeringen): tryck på Indexera om alla dokument.",
        "stage_load": "Läser dokument",
        "stage_embed": "Beräknar inbäddningar",
        "stage_sentences": "Förbereder meningar",
        "stage_index": "Bygger sökindex",
        "up_saved": "sparad",
        "up_same": "fanns redan (samma innehåll)",
        "up_renamed": "en annan fil med samma namn fanns redan, så den här sparades som {name}",
        "up_too_big": "för stor ({size} MB, högst {max_mb} MB)",
        "up_bad_type": "filtypen stöds inte (tillåtna: {types})",
        "up_failed": "kunde inte sparas i dokumentmappen",
        "up_replaced": "ersatte dokumentet med samma namn",
        "up_unreadable": "kunde inte läsas och sparades inte: {reason}",
        "replace": "Ersätt ett dokument som har samma filnamn",
        "remove_label": "Dokument att ta bort",
        "remove_btn": "Ta bort dokumentet",
        "remove_pick": "Välj först vilket dokument som ska tas bort.",
        "remove_refused": "{name} ligger inte i en dokumentmapp och kan inte tas bort här.",
        "removed": "borttaget (filen är flyttad till papperskorgen i datamappen)",
        "tab_settings": "Inställningar",
        "admin_intro": "Dokumenthanteringen (ladda upp, ersätta, ta bort, indexera om) är "
        "bara för administratörer. Chatten är öppen för alla.",
        "admin_disabled": "Ingen administratör är inställd, så dokument hanteras bara från "
        "terminalen (`assistant ingest`, `assistant remove`). Sätt `ASSISTANT_ADMIN_PASSWORD` "
        "för att hantera dem här.",
        "admin_password": "Administratörslösenord",
        "admin_login": "Logga in",
        "admin_logout": "Logga ut",
        "admin_ok": "Du är inloggad som administratör: fliken Dokument är öppen.",
        "admin_out": "Du är utloggad.",
        "admin_bad": "Fel lösenord.",
        "admin_throttled": "För många felaktiga försök. Vänta {seconds} s och försök igen.",
        "admin_required": "Bara en administratör kan hantera dokument: logga in under "
        "Inställningar.",
        "res_uploads": "Uppladdning",
        "res_removal": "Borttagning",
        "res_added": "Nya dokument",
        "res_updated": "Uppdaterade dokument",
        "res_removed": "Borttagna ur index",
        "res_unchanged": "{n} dokument oförändrade.",
        "res_failures": "Kunde inte läsas (övriga dokument är indexerade)",
        "res_summary": "Klart på {seconds} s: {chunks} avsnitt i indexet.",
        "res_error": "Indexeringen kunde inte köras. Försök igen; om det upprepas, se "
        "serverns logg.",
    },
    "en": {
        "title": "Produktionsrådgivaren",
        "header": "## Produktionsrådgivaren\n"
        "Ask about improvement and renewal in production. Answers rest only on the documents: "
        "click a number such as [1] in an answer to read its source under it.",
        "language": "Language",
        "tab_chat": "Ask",
        "tab_coach": "Coaching pack",
        "tab_documents": "Documents",
        "chat_label": "Conversation",
        "chat_placeholder": "**Welcome!** Type a question below or pick an example.",
        "input_label": "Your question",
        "input_placeholder": "Type a question …",
        "send": "Ask",
        "retry": "Answer again",
        "undo": "Undo last",
        "clear": "New conversation",
        "sources": "Sources",
        "sources_empty": "The sources of the answer appear here: the document, where in it, and "
        "the sentence the answer rests on (highlighted).",
        "searching": "Searching the documents …",
        "writing": "Writing the answer …",
        "sources_summary": "Sources ({n} documents)",
        "nearby_summary": "Nearby passages ({n} documents), none of which answers the question",
        "more_summary": "Read more: {n} more passages that may answer the question",
        "section": "Section",
        "show_more": "Show more",
        "page": "p.",
        "no_date": "undated",
        "notice_refusal": "The documents give no clear answer to that question. Try rephrasing "
        "it or asking something narrower. If you think the documents should answer it, contact "
        "whoever runs the service.",
        "notice_error": "No answer could be given just now. Please try again in a moment; if "
        "it happens again, contact whoever runs the service.",
        "notice_empty_index": "No documents are indexed yet. Run `make run` (or "
        "`assistant ingest`) in a terminal, or sign in as administrator under Settings and "
        "upload documents.",
        "comment_up": "What was good about the answer? (optional, Enter sends)",
        "comment_down": "What was missing or wrong? (optional, Enter sends)",
        "comment_send": "Send",
        "feedback_saved": "Thank you, your rating is saved. Feel free to add a comment.",
        "feedback_removed": "Your feedback was removed.",
        "feedback_unavailable": "Your feedback could not be saved right now (the error is logged "
        "for the administrator). The chat works as usual.",
        "comment_saved": "Thank you for the comment!",
        "feedback_only_answers": "Only the assistant's answers can be rated.",
        "feedback_bad_rating": "A rating is 1 (good), -1 (bad) or 0 (take it back).",
        "coach_intro": "Create a pack for a coaching session: key points as verbatim quotes with "
        "sources, discussion questions and an agenda. Pick an area from the list or type a topic "
        "of your own.",
        "coach_mode": "Pack about",
        "coach_mode_area": "an area of the framework",
        "coach_mode_free": "a topic of your own",
        "coach_free_empty": "First type the topic the pack should be about.",
        "coach_topic": "Area",
        "coach_free": "Your own topic",
        "coach_free_placeholder": "e.g. digitalisation in small companies",
        "coach_build": "Create pack",
        "coach_empty": "The pack appears here.",
        "coach_md": "Download as Markdown (.md)",
        "coach_docx": "Download as Word (.docx)",
        "coach_file": "coaching-pack",
        "docs_intro": "The documents the assistant answers from. Upload more (PDF, Word, "
        "Markdown, text or HTML, at most {max_mb} MB per file); a file that cannot be read is "
        "not saved, the others are saved in the documents folder and indexed right away.",
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
        "cancel_btn": "Cancel indexing",
        "cancelling": "Cancelling the indexing …",
        "nothing_to_cancel": "No indexing is running.",
        "res_cancelled": "Indexing was cancelled. The previous index still applies; what was "
        "already computed is kept and reused next time.",
        "no_files": "Choose one or more files first.",
        "status_line": "{documents} documents, {chunks} passages indexed.",
        "status_stale": "The index is out of date (the documents folder or the text analysis "
        "changed since the last indexing): press Re-index all documents.",
        "stage_load": "Reading documents",
        "stage_embed": "Computing embeddings",
        "stage_sentences": "Preparing sentences",
        "stage_index": "Building the search index",
        "up_saved": "saved",
        "up_same": "already there (same content)",
        "up_renamed": "a different file with this name already existed, so this one was saved "
        "as {name}",
        "up_too_big": "too large ({size} MB, at most {max_mb} MB)",
        "up_bad_type": "file type not supported (allowed: {types})",
        "up_failed": "could not be saved in the documents folder",
        "up_replaced": "replaced the document of the same name",
        "up_unreadable": "could not be read and was not saved: {reason}",
        "replace": "Replace a document that has the same file name",
        "remove_label": "Document to remove",
        "remove_btn": "Remove the document",
        "remove_pick": "First choose the document to remove.",
        "remove_refused": "{name} is not in a documents folder and cannot be removed here.",
        "removed": "removed (the file is moved to the bin in the data folder)",
        "tab_settings": "Settings",
        "admin_intro": "Managing documents (upload, replace, remove, re-index) is for "
        "administrators only. The chat is open to everyone.",
        "admin_disabled": "No administrator is set up, so documents are managed from the "
        "terminal only (`assistant ingest`, `assistant remove`). Set `ASSISTANT_ADMIN_PASSWORD` "
        "to manage them here.",
        "admin_password": "Administrator password",
        "admin_login": "Sign in",
        "admin_logout": "Sign out",
        "admin_ok": "You are signed in as administrator: the Documents tab is open.",
        "admin_out": "You are signed out.",
        "admin_bad": "Wrong password.",
        "admin_throttled": "Too many wrong attempts. Wait {seconds} s and try again.",
        "admin_required": "Only an administrator can manage documents: sign in under Settings.",
        "res_uploads": "Upload",
        "res_removal": "Removal",
        "res_added": "New documents",
        "res_updated": "Updated documents",
        "res_removed": "Removed from the index",
        "res_unchanged": "{n} documents unchanged.",
        "res_failures": "Could not be read (the other documents are indexed)",
        "res_summary": "Done in {seconds} s: {chunks} passages in the index.",
        "res_error": "Indexing could not run. Try again; if it happens again, see the "
        "server's log.",
    },
}


def text(lang: str, key: str, **values: object) -> str:
    """The interface text ``key`` in ``lang`` (Swedish when unknown), formatted with values."""
    table = TEXT.get(lang, TEXT["sv"])
    template = table.get(key, TEXT["sv"][key])
    return template.format(**values) if values else template


def number(lang: str, value: float, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals in the language's style: "0,1" in Swedish."""
    shown = f"{value:.{digits}f}"
    return shown.replace(".", ",") if lang != "en" else shown
