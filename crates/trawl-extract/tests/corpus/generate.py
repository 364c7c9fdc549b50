#!/usr/bin/env python3
"""Generate the main-content corpus: real-world page shapes with their expected main text.

usage: generate.py [OUT_DIR]   (default: the `pages` folder beside this script)

Each page is written as NNN-shape.html and NNN-shape.txt. The .txt is the ground truth,
written here from the same content the page is built from, never by running an extractor:
the article's headline, then its body (paragraphs, sub-headings, lists, quotes, tables), one
block per line. Everything a reader does not read as the article is left out: navigation,
breadcrumbs, bylines and dates, captions, share bars, tag lists, related stories, comments,
author boxes, newsletter forms, cookie banners, ads, sidebars and footers.

The skeletons copy the structure of public sites (WordPress themes, news sites, ASP.NET
WebForms, Drupal, Joomla, Blogger, Ghost, documentation generators, phpBB/Discourse-style
forums, shops, portals) with the class names those generators emit, and with the traps
that real pages set: ad-named wrappers around the whole page, a <form> around the whole
body, two [role=main] landmarks, bare text with <br> beside blocks, comment threads longer
than the post, link-only lines, teasers and captions.

Deterministic: the same script always writes the same corpus.
"""
import html
import os
import random
import sys

# ---- text -------------------------------------------------------------------------------

EN = {
    "subj": ["The council", "Local residents", "The engineering team", "Researchers at the university",
             "The company", "Volunteers", "The ministry", "Shop owners", "The museum", "Teachers",
             "The harbour authority", "Farmers in the valley", "The orchestra", "Developers",
             "The hospital trust", "Cyclists", "The regional library", "Fishermen", "The startup",
             "Parents"],
    "verb": ["announced", "criticised", "welcomed", "postponed", "approved", "questioned", "funded",
             "redesigned", "tested", "reported", "completed", "abandoned", "reviewed", "expanded",
             "measured", "documented", "defended", "rebuilt", "surveyed", "published"],
    "obj": ["a plan to widen the coastal road", "the new recycling scheme", "the budget for next year",
            "a study of river pollution", "the opening of a second clinic", "the timetable changes",
            "a proposal for cheaper housing", "the restoration of the old mill", "a pilot for electric buses",
            "the results of the soil survey", "the reform of school meals", "a software release with fewer bugs",
            "the rules for short-term lets", "an archive of wartime letters", "the repairs to the sea wall",
            "a scheme to plant ten thousand trees", "the merger of two parishes", "the price of season tickets",
            "a festival of traditional music", "the design of the new bridge"],
    "tail": ["after months of debate", "despite strong objections", "to the surprise of many",
             "in a vote on Tuesday evening", "following a public consultation", "ahead of the winter",
             "with support from national funds", "although costs rose sharply", "for the third time this decade",
             "as demand continued to grow", "under pressure from campaigners", "with little fanfare",
             "while negotiations went on", "before the summer holidays", "in a statement on its website"],
    "extra": ["Critics said the figures did not add up.", "Supporters argued that the change was overdue.",
              "A spokesperson declined to comment further.", "The final decision is expected in spring.",
              "Similar projects elsewhere have had mixed results.", "Officials promised a full report within weeks.",
              "Several speakers raised concerns about noise and traffic.", "The cost is estimated at 4.2 million.",
              "Residents will be able to comment until the end of the month.",
              "It is the largest investment of its kind in the region."],
}

DE = {
    "subj": ["Der Stadtrat", "Die Anwohner", "Das Forschungsteam", "Die Landesregierung", "Der Verein",
             "Die Feuerwehr", "Die Bibliothek", "Das Unternehmen", "Die Schule", "Der Bürgermeister"],
    "verb": ["kündigte", "kritisierte", "begrüßte", "verschob", "genehmigte", "prüfte", "finanzierte",
             "veröffentlichte", "erweiterte", "untersuchte"],
    "obj": ["den Ausbau der Radwege", "die neue Müllabfuhr", "den Haushalt für das kommende Jahr",
            "eine Studie zur Wasserqualität", "die Sanierung des Rathauses", "den neuen Fahrplan",
            "ein Programm für günstige Wohnungen", "die Erneuerung der Brücke"],
    "tail": ["nach langer Debatte an", "trotz heftiger Einwände", "am Dienstagabend", "nach einer Bürgerbefragung",
             "vor dem Winter", "mit Mitteln des Bundes", "obwohl die Kosten stiegen"],
    "extra": ["Kritiker halten die Zahlen für zu optimistisch.", "Eine Entscheidung wird im Frühjahr erwartet.",
              "Die Kosten werden auf rund vier Millionen Euro geschätzt.", "Anwohner können bis Monatsende Stellung nehmen."],
}

FR = {
    "subj": ["Le conseil municipal", "Les habitants", "L'équipe de recherche", "Le ministère", "L'association",
             "Les pompiers", "La médiathèque", "L'entreprise", "Le lycée", "La mairie"],
    "verb": ["a annoncé", "a critiqué", "a salué", "a reporté", "a approuvé", "a examiné", "a financé",
             "a publié", "a étendu", "a étudié"],
    "obj": ["l'élargissement de la route côtière", "le nouveau tri des déchets", "le budget de l'année prochaine",
            "une étude sur la qualité de l'eau", "la rénovation du vieux moulin", "les nouveaux horaires des bus",
            "un projet de logements abordables", "la reconstruction du pont"],
    "tail": ["après des mois de débat", "malgré de fortes oppositions", "mardi soir", "après une consultation publique",
             "avant l'hiver", "avec le soutien de l'État", "bien que les coûts aient augmenté"],
    "extra": ["Les opposants jugent les chiffres trop optimistes.", "La décision finale est attendue au printemps.",
              "Le coût est estimé à quatre millions d'euros.", "Les habitants peuvent donner leur avis jusqu'à la fin du mois."],
}

ES = {
    "subj": ["El ayuntamiento", "Los vecinos", "El equipo de investigación", "El ministerio", "La asociación",
             "Los bomberos", "La biblioteca", "La empresa", "El instituto", "La alcaldesa"],
    "verb": ["anunció", "criticó", "celebró", "aplazó", "aprobó", "revisó", "financió", "publicó", "amplió", "estudió"],
    "obj": ["la ampliación del paseo marítimo", "el nuevo sistema de reciclaje", "el presupuesto del próximo año",
            "un estudio sobre la calidad del agua", "la restauración del antiguo molino", "los nuevos horarios de autobús",
            "un plan de vivienda asequible", "la reconstrucción del puente"],
    "tail": ["tras meses de debate", "pese a la fuerte oposición", "el martes por la noche", "tras una consulta pública",
             "antes del invierno", "con fondos del Estado", "aunque los costes subieron"],
    "extra": ["Los críticos creen que las cifras son demasiado optimistas.", "La decisión final se espera en primavera.",
              "El coste se estima en cuatro millones de euros.", "Los vecinos pueden opinar hasta final de mes."],
}

RU = {
    "subj": ["Городской совет", "Жители района", "Группа исследователей", "Министерство", "Местная ассоциация",
             "Пожарная служба", "Библиотека", "Компания", "Школа", "Мэрия"],
    "verb": ["объявил о плане", "раскритиковал", "одобрил", "отложил", "рассмотрел", "профинансировал",
             "опубликовал", "расширил", "изучил", "поддержал"],
    "obj": ["расширения прибрежной дороги", "новой системы переработки", "бюджета на следующий год",
            "исследования качества воды", "реставрации старой мельницы", "нового расписания автобусов",
            "строительства доступного жилья", "ремонта моста"],
    "tail": ["после долгих споров", "несмотря на возражения", "во вторник вечером", "после общественных слушаний",
             "до начала зимы", "при поддержке государства", "хотя расходы выросли"],
    "extra": ["Критики считают цифры слишком оптимистичными.", "Окончательное решение ожидается весной.",
              "Стоимость оценивается в четыре миллиона рублей.", "Жители могут высказаться до конца месяца."],
}

TECH = {
    "subj": ["The scheduler", "The worker pool", "This option", "The client library", "The cache layer",
             "The command", "The parser", "The migration tool", "The HTTP server", "The test runner"],
    "verb": ["retries", "validates", "serialises", "compresses", "rejects", "batches", "streams", "indexes",
             "logs", "rotates"],
    "obj": ["every request that times out", "the configuration file at start-up", "the response body",
            "old log files", "records in groups of one hundred", "queries that exceed the limit",
            "messages to the dead-letter queue", "the session token", "the schema before each release",
            "large uploads in chunks"],
    "tail": ["unless the flag is disabled", "by default", "when the queue is full", "on every restart",
             "if the environment variable is set", "before the handler runs", "after a successful write"],
    "extra": ["See the configuration reference for every key.", "This behaviour changed in version 2.0.",
              "The default is suitable for most deployments.", "Set the value to zero to turn the feature off.",
              "Errors are reported with the line number of the offending entry."],
}

LANGS = {"en": EN, "de": DE, "fr": FR, "es": ES, "ru": RU, "tech": TECH}

UI = {
    "en": dict(home="Home", news="News", sport="Sport", business="Business", culture="Culture", opinion="Opinion",
               related="Related stories", more="More from this section", share="Share this article",
               comments="Comments", reply="Reply", leave="Leave a comment", newsletter="Sign up to our newsletter",
               newsletter_text="The best stories of the week, straight to your inbox every Friday.",
               cookie="We use cookies to improve your experience. By continuing you accept our use of cookies.",
               accept="Accept all", tags="Tags", by="By", popular="Most read", footer="All rights reserved.",
               contact="Contact us", privacy="Privacy policy", terms="Terms of use", read_more="Read more",
               advert="Advertisement", search="Search", subscribe="Subscribe", next="Next article",
               prev="Previous article", about="About the author", login="Log in", updated="Updated"),
    "de": dict(home="Startseite", news="Nachrichten", sport="Sport", business="Wirtschaft", culture="Kultur",
               opinion="Meinung", related="Das könnte Sie auch interessieren", more="Mehr aus dem Ressort",
               share="Artikel teilen", comments="Kommentare", reply="Antworten", leave="Kommentar schreiben",
               newsletter="Newsletter abonnieren", newsletter_text="Die wichtigsten Nachrichten jeden Morgen per E-Mail.",
               cookie="Wir verwenden Cookies, um Ihnen ein besseres Nutzungserlebnis zu bieten.",
               accept="Alle akzeptieren", tags="Schlagworte", by="Von", popular="Meistgelesen",
               footer="Alle Rechte vorbehalten.", contact="Kontakt", privacy="Datenschutz", terms="Impressum",
               read_more="Weiterlesen", advert="Anzeige", search="Suche", subscribe="Abonnieren",
               next="Nächster Artikel", prev="Vorheriger Artikel", about="Über den Autor", login="Anmelden",
               updated="Aktualisiert"),
    "fr": dict(home="Accueil", news="Actualités", sport="Sport", business="Économie", culture="Culture",
               opinion="Opinions", related="À lire aussi", more="Plus d'articles", share="Partager l'article",
               comments="Commentaires", reply="Répondre", leave="Laisser un commentaire",
               newsletter="Inscrivez-vous à la newsletter", newsletter_text="L'essentiel de l'actualité chaque matin.",
               cookie="Nous utilisons des cookies pour améliorer votre expérience de navigation.",
               accept="Tout accepter", tags="Mots-clés", by="Par", popular="Les plus lus",
               footer="Tous droits réservés.", contact="Contact", privacy="Confidentialité", terms="Mentions légales",
               read_more="Lire la suite", advert="Publicité", search="Rechercher", subscribe="S'abonner",
               next="Article suivant", prev="Article précédent", about="À propos de l'auteur", login="Connexion",
               updated="Mis à jour"),
    "es": dict(home="Inicio", news="Noticias", sport="Deportes", business="Economía", culture="Cultura",
               opinion="Opinión", related="Noticias relacionadas", more="Más noticias", share="Compartir",
               comments="Comentarios", reply="Responder", leave="Deja un comentario",
               newsletter="Suscríbete al boletín", newsletter_text="Las noticias más importantes cada mañana.",
               cookie="Utilizamos cookies propias y de terceros para mejorar nuestros servicios.",
               accept="Aceptar todo", tags="Etiquetas", by="Por", popular="Lo más leído",
               footer="Todos los derechos reservados.", contact="Contacto", privacy="Privacidad",
               terms="Aviso legal", read_more="Leer más", advert="Publicidad", search="Buscar",
               subscribe="Suscribirse", next="Siguiente", prev="Anterior", about="Sobre el autor",
               login="Iniciar sesión", updated="Actualizado"),
    "ru": dict(home="Главная", news="Новости", sport="Спорт", business="Экономика", culture="Культура",
               opinion="Мнения", related="Читайте также", more="Другие новости", share="Поделиться",
               comments="Комментарии", reply="Ответить", leave="Оставить комментарий",
               newsletter="Подпишитесь на рассылку", newsletter_text="Главные новости каждое утро.",
               cookie="Мы используем файлы cookie, чтобы сайт работал лучше.", accept="Принять",
               tags="Теги", by="Автор", popular="Самое читаемое", footer="Все права защищены.",
               contact="Контакты", privacy="Конфиденциальность", terms="Правила", read_more="Читать далее",
               advert="Реклама", search="Поиск", subscribe="Подписаться", next="Следующая статья",
               prev="Предыдущая статья", about="Об авторе", login="Войти", updated="Обновлено"),
}
UI["tech"] = UI["en"]

NAMES = ["Priya Natarajan", "Tom Reyes", "Ellen Voss", "Jonas Keller", "Marie Dubois", "Lucía Fernández",
         "Olga Smirnova", "Kwame Mensah", "Hannah Schmidt", "Arjun Mehta", "Sofia Rossi", "Liam O'Brien",
         "Yuki Tanaka", "Fatima Zahra", "Noah Williams", "Emma Johansson"]
SITES = ["The Coastal Gazette", "Valley Herald", "Northern Post", "City Ledger", "Daily Courier",
         "Tech Notes", "Morning Star Review", "Riverside Times", "Hill Country News", "Metro Weekly"]
COMMENT_LINES = ["Great article, thanks for writing this up.", "I completely disagree with the second point.",
                 "Does anyone know when the consultation closes?", "We had the same problem in our town last year.",
                 "This is exactly what I was looking for, bookmarked.", "The numbers in the third paragraph look wrong to me.",
                 "My grandfather worked on the old bridge, nice to see it restored.",
                 "Typical council, always late and over budget.", "Thanks, this helped me fix my configuration.",
                 "Could you write a follow-up on the costs?", "Well said. More people need to read this.",
                 "First time commenting here, long time reader.", "Not sure this will change anything in practice.",
                 "I attended the meeting and it was chaotic.", "Brilliant photos as always."]


class Text:
    """Sentences and paragraphs in one language, drawn without obvious repetition."""

    def __init__(self, rng, lang):
        self.rng = rng
        self.lex = LANGS[lang]

    def sentence(self):
        r, x = self.rng, self.lex
        s = f"{r.choice(x['subj'])} {r.choice(x['verb'])} {r.choice(x['obj'])} {r.choice(x['tail'])}."
        if r.random() < 0.3:
            s += " " + r.choice(x["extra"])
        return s

    def paragraph(self, lo=2, hi=5):
        return " ".join(self.sentence() for _ in range(self.rng.randint(lo, hi)))

    def headline(self):
        r, x = self.rng, self.lex
        obj = r.choice(x["obj"])
        return f"{r.choice(x['subj'])} {r.choice(x['verb'])} {obj}"

    def short(self, n=6):
        words = self.sentence().rstrip(".").split()
        return " ".join(words[: max(3, min(n, len(words)))])


def esc(s):
    return html.escape(s, quote=True)


# ---- article bodies --------------------------------------------------------------------

class Body:
    """An article body as HTML and as ground-truth lines."""

    def __init__(self):
        self.html = []
        self.truth = []

    def p(self, text, cls=None):
        c = f' class="{cls}"' if cls else ""
        self.html.append(f"<p{c}>{esc(text)}</p>")
        self.truth.append(text)

    def raw(self, markup, truth_lines=()):
        self.html.append(markup)
        self.truth.extend(truth_lines)

    def boiler(self, markup):
        self.html.append(markup)


def article_body(rng, t, lang, size="medium", links=True, allow_tables=True):
    """Paragraphs with inline links and emphasis, sub-headings, lists, quotes, tables, and the
    in-article boilerplate real pages put between paragraphs (captions, 'read more' lines,
    inline ads, newsletter boxes)."""
    b = Body()
    ui = UI[lang]
    n = {"short": (3, 5), "medium": (6, 10), "long": (12, 20)}[size]
    count = rng.randint(*n)
    for i in range(count):
        roll = rng.random()
        if i > 1 and roll < 0.12:
            h = t.short(5)
            lvl = rng.choice([2, 2, 3])
            b.raw(f"<h{lvl}>{esc(h)}</h{lvl}>", [h])
        elif i > 0 and roll < 0.2:
            items = [t.sentence() for _ in range(rng.randint(3, 5))]
            tag = rng.choice(["ul", "ol"])
            b.raw(f"<{tag}>" + "".join(f"<li>{esc(x)}</li>" for x in items) + f"</{tag}>", items)
        elif i > 0 and roll < 0.25:
            q = t.sentence()
            b.raw(f"<blockquote><p>{esc(q)}</p></blockquote>", [q])
        elif i > 2 and roll < 0.29 and allow_tables:
            rows = [[t.short(3), str(rng.randint(10, 999)), str(rng.randint(1, 99)) + "%"] for _ in range(4)]
            head = ["Item", "Count", "Share"]
            cells = "".join(f"<th>{h}</th>" for h in head)
            body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
            b.raw(f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>",
                  [" ".join(head)] + [" ".join(r) for r in rows])
        else:
            text = t.paragraph()
            if links and rng.random() < 0.35:
                words = text.split(" ")
                k = rng.randint(1, max(1, len(words) - 3))
                j = min(len(words), k + rng.randint(1, 3))
                linked = " ".join(words[k:j])
                markup = (esc(" ".join(words[:k])) + f' <a href="/topic/{k}">{esc(linked)}</a> '
                          + esc(" ".join(words[j:])))
                if rng.random() < 0.3:
                    markup = markup.replace(esc(words[0]), f"<strong>{esc(words[0])}</strong>", 1)
                b.raw(f"<p>{markup}</p>", [text])
            else:
                b.p(text)
        # in-article boilerplate
        r2 = rng.random()
        if r2 < 0.06:
            cap = t.short(7)
            b.boiler(f'<figure><img src="/img/{rng.randint(1, 999)}.jpg" alt="{esc(cap)}">'
                     f'<figcaption>{esc(cap)}. Photo: {rng.choice(NAMES)}</figcaption></figure>')
        elif r2 < 0.11:
            b.boiler(f'<p><strong>{ui["read_more"]}:</strong> <a href="/news/{rng.randint(1, 9999)}">'
                     f'{esc(t.headline())}</a></p>')
        elif r2 < 0.14:
            b.boiler(f'<div class="{rng.choice(["ad-slot", "inline-ad", "advert mpu", "ad_container"])}">'
                     f'<span>{ui["advert"]}</span></div>')
        elif r2 < 0.16:
            b.boiler(f'<div class="newsletter-box"><h3>{ui["newsletter"]}</h3><p>{ui["newsletter_text"]}</p>'
                     f'<form><input type="email"><button>{ui["subscribe"]}</button></form></div>')
    return b


# ---- boilerplate pieces -----------------------------------------------------------------

def nav_items(rng, lang, n=7):
    ui = UI[lang]
    base = [ui["home"], ui["news"], ui["sport"], ui["business"], ui["culture"], ui["opinion"]]
    extra = ["Travel", "Science", "Health", "Video", "Podcasts", "Weather", "Jobs", "Events"]
    items = base + rng.sample(extra, max(0, n - len(base)))
    return "".join(f'<li><a href="/{i}">{esc(x)}</a></li>' for i, x in enumerate(items[:n]))


def site_header(rng, lang, site, style):
    ui = UI[lang]
    if style == 0:
        return (f'<header class="site-header"><a class="logo" href="/">{esc(site)}</a>'
                f'<nav class="main-nav"><ul>{nav_items(rng, lang)}</ul></nav>'
                f'<form class="search" action="/search"><input name="q"><button>{ui["search"]}</button></form></header>')
    if style == 1:
        return (f'<div id="header"><div class="logo"><a href="/">{esc(site)}</a></div>'
                f'<div id="menu"><ul>{nav_items(rng, lang)}</ul></div></div>')
    return (f'<div class="top-bar"><a href="/login">{ui["login"]}</a> | <a href="/subscribe">{ui["subscribe"]}</a></div>'
            f'<div class="masthead"><h2 class="site-title"><a href="/">{esc(site)}</a></h2></div>'
            f'<div role="navigation"><ul class="menu">{nav_items(rng, lang, 8)}</ul></div>')


def site_footer(rng, lang, site, style):
    ui = UI[lang]
    links = (f'<a href="/contact">{ui["contact"]}</a> <a href="/privacy">{ui["privacy"]}</a> '
             f'<a href="/terms">{ui["terms"]}</a>')
    addr = f"{esc(site)} Ltd, {rng.randint(1, 200)} Harbour Street, Portmouth PM{rng.randint(1, 9)} {rng.randint(1, 9)}QT"
    if style == 0:
        return f'<footer class="site-footer"><p>© 2024 {esc(site)}. {ui["footer"]}</p><p>{links}</p></footer>'
    if style == 1:
        return (f'<div id="footer"><div class="footer-links">{links}</div>'
                f'<p>{addr}<br>Tel. 01234 567 890<br>Registered in England and Wales, company number {rng.randint(10**6, 10**7)}.'
                f'<br>© 2024 {esc(site)}. {ui["footer"]}</p></div>')
    return (f'<div class="footer"><table><tr><td>{links}</td><td>© 2024 {esc(site)}</td></tr></table>'
            f'<address>{addr}<br>Editorial office open Monday to Friday, nine to five.</address></div>')


def breadcrumb(lang, section):
    ui = UI[lang]
    return (f'<nav class="breadcrumb" aria-label="breadcrumb"><a href="/">{ui["home"]}</a> › '
            f'<a href="/{section}">{esc(section.title())}</a></nav>')


def breadcrumb_plain(lang, section):
    ui = UI[lang]
    return f'<div class="crumbs"><a href="/">{ui["home"]}</a> &gt; <a href="/{section}">{esc(section.title())}</a></div>'


def byline(rng, lang, style):
    ui = UI[lang]
    name = rng.choice(NAMES)
    date = f"{rng.randint(1, 28)} March 2024"
    if style == 0:
        return (f'<p class="byline">{ui["by"]} <a href="/authors/{name.split()[0].lower()}">{esc(name)}</a> · '
                f'<time datetime="2024-03-04">{date}</time></p>')
    if style == 1:
        return (f'<div class="entry-meta"><span class="posted-on"><a href="/2024/03/"><time class="entry-date published">'
                f'{date}</time></a></span> <span class="byline">{ui["by"]} <span class="author vcard">'
                f'<a class="url fn n" href="/author/x">{esc(name)}</a></span></span></div>')
    if style == 2:
        return f'<div class="article-meta"><span class="author">{esc(name)}</span><span class="date">{date}</span></div>'
    return f'<div><a href="/authors/{rng.randint(1, 99)}">{esc(name)}</a></div><div><time>{date}</time></div>'


def share_bar(lang, style):
    ui = UI[lang]
    nets = ["Facebook", "Twitter", "LinkedIn", "Email", "WhatsApp"]
    if style == 0:
        return ('<div class="share-bar"><span>' + ui["share"] + '</span><ul>' +
                "".join(f'<li><a href="https://share.example/{n.lower()}">{n}</a></li>' for n in nets) + "</ul></div>")
    if style == 1:
        return ('<ul class="social-links">' +
                "".join(f'<li><a href="https://share.example/{n.lower()}">{n}</a></li>' for n in nets) + "</ul>")
    return "<div>" + " ".join(f'<a href="https://share.example/{n.lower()}">{n}</a>' for n in nets) + "</div>"


def tag_list(rng, t, lang, style):
    ui = UI[lang]
    tags = [t.short(2) for _ in range(rng.randint(3, 6))]
    links = ", ".join(f'<a href="/tag/{i}" rel="tag">{esc(x)}</a>' for i, x in enumerate(tags))
    if style == 0:
        return f'<div class="tags"><span>{ui["tags"]}:</span> {links}</div>'
    if style == 1:
        return f'<footer class="entry-footer"><span class="tags-links">{links}</span></footer>'
    return f"<p>{links}</p>"


def related(rng, t, lang, style, n=4):
    ui = UI[lang]
    items = [(t.headline(), t.sentence()) for _ in range(n)]
    if style == 0:
        return (f'<aside class="related"><h3>{ui["related"]}</h3><ul>' +
                "".join(f'<li><a href="/news/{rng.randint(1, 9999)}">{esc(h)}</a></li>' for h, _ in items) + "</ul></aside>")
    if style == 1:
        return (f'<section class="more-stories"><h2>{ui["more"]}</h2>' +
                "".join(f'<div class="teaser"><h3><a href="/n/{rng.randint(1, 9999)}">{esc(h)}</a></h3><p>{esc(s)}</p></div>'
                        for h, s in items) + "</section>")
    if style == 2:
        return (f'<div class="related-posts"><h4>{ui["related"]}</h4>' +
                "".join(f'<div class="card"><a href="/p/{rng.randint(1, 9999)}"><img src="/t.jpg" alt=""><span>{esc(h)}</span></a></div>'
                        for h, _ in items) + "</div>")
    # unlabelled teaser list: only its link density gives it away
    return ("<div><h2>" + esc(ui["popular"]) + "</h2><ol>" +
            "".join(f'<li><a href="/n/{rng.randint(1, 9999)}">{esc(h)}</a></li>' for h, _ in items) + "</ol></div>")


def sidebar(rng, t, lang, style):
    ui = UI[lang]
    pop = "".join(f'<li><a href="/n/{rng.randint(1, 9999)}">{esc(t.headline())}</a></li>' for _ in range(5))
    if style == 0:
        return f'<aside class="sidebar"><h3>{ui["popular"]}</h3><ol>{pop}</ol></aside>'
    if style == 1:
        return (f'<div id="secondary" class="widget-area" role="complementary"><section class="widget"><h2 class="widget-title">'
                f'{ui["popular"]}</h2><ul>{pop}</ul></section><section class="widget widget_text"><div class="textwidget">'
                f'<p>{esc(t.sentence())}</p></div></section></div>')
    return f'<div class="right-column"><div class="box"><h3>{ui["popular"]}</h3><ul>{pop}</ul></div></div>'


def comments(rng, lang, n, style):
    ui = UI[lang]
    out = []
    for i in range(n):
        name = rng.choice(NAMES)
        text = " ".join(rng.sample(COMMENT_LINES, rng.randint(1, 3)))
        if style == 0:
            out.append(f'<li class="comment" id="comment-{i}"><article class="comment-body"><footer class="comment-meta">'
                       f'<b class="fn">{esc(name)}</b> <time>3 March 2024 at 10:{i % 60:02d}</time></footer>'
                       f'<div class="comment-content"><p>{esc(text)}</p></div>'
                       f'<div class="reply"><a class="comment-reply-link" href="#r{i}">{ui["reply"]}</a></div></article></li>')
        else:
            out.append(f'<div class="comment"><div class="comment-author">{esc(name)}</div>'
                       f'<div class="comment-text"><p>{esc(text)}</p></div></div>')
    if style == 0:
        return (f'<div id="comments" class="comments-area"><h2 class="comments-title">{n} {ui["comments"]}</h2>'
                f'<ol class="comment-list">{"".join(out)}</ol><div id="respond"><h3>{ui["leave"]}</h3>'
                f'<form><textarea></textarea><input type="submit"></form></div></div>')
    return f'<div class="comments"><h3>{ui["comments"]} ({n})</h3>{"".join(out)}</div>'


def cookie_banner(lang):
    ui = UI[lang]
    return (f'<div id="cookie-consent" class="cookie-banner"><p>{ui["cookie"]}</p>'
            f'<button>{ui["accept"]}</button></div>')


def newsletter(lang):
    ui = UI[lang]
    return (f'<section class="newsletter"><h3>{ui["newsletter"]}</h3><p>{ui["newsletter_text"]}</p>'
            f'<form><input type="email" placeholder="Email"><button>{ui["subscribe"]}</button></form></section>')


def author_box(rng, t, lang):
    ui = UI[lang]
    return (f'<div class="author-bio"><h4>{ui["about"]}</h4><p>{esc(rng.choice(NAMES))} '
            f'{esc(t.sentence())}</p></div>')


def head(title, lang, desc="", og_title=None, site=None, extra=""):
    og = f'<meta property="og:title" content="{esc(og_title)}">' if og_title else ""
    sn = f'<meta property="og:site_name" content="{esc(site)}">' if site else ""
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f'<meta name="description" content="{esc(desc)}">{og}{sn}'
            f'<script>window.dataLayer=[{{"page":"x"}}];</script><style>.x{{color:red}}</style>{extra}</head>')


def titled(rng, headline, site):
    sep = rng.choice([" | ", " - ", " – ", " — ", " :: "])
    return headline + sep + site if rng.random() < 0.85 else headline


# ---- page shapes ------------------------------------------------------------------------

def shape_news(rng, lang):
    """A modern news article: <main><article> with header, byline, share bar, figure, body,
    tags, related teasers; sidebars and site chrome around."""
    t = Text(rng, lang)
    site = rng.choice(SITES)
    h1 = t.headline()
    body = article_body(rng, t, lang, rng.choice(["medium", "long"]))
    ui = UI[lang]
    use_main = rng.random() < 0.7
    parts = [site_header(rng, lang, site, rng.randint(0, 2))]
    if rng.random() < 0.5:
        parts.append(cookie_banner(lang))
    parts.append(f'<div class="ad ad-leaderboard"><span>{ui["advert"]}</span></div>')
    art = ['<article class="story">', '<header class="article-header">']
    if rng.random() < 0.6:
        art.append(breadcrumb(lang, "news") if rng.random() < 0.5 else breadcrumb_plain(lang, "news"))
    if rng.random() < 0.5:
        art.append(f'<a class="kicker" href="/politics">{esc(ui["news"])}</a>')
    art.append(f"<h1>{esc(h1)}</h1>")
    art.append(byline(rng, lang, rng.randint(0, 3)))
    art.append("</header>")
    if rng.random() < 0.6:
        art.append(share_bar(lang, rng.randint(0, 2)))
    if rng.random() < 0.7:
        cap = t.short(8)
        art.append(f'<figure class="lead-image"><img src="/m/{rng.randint(1, 99)}.jpg" alt="{esc(cap)}">'
                   f'<figcaption><span class="caption">{esc(cap)}</span> <span class="credit">Photo: {esc(rng.choice(NAMES))}</span></figcaption></figure>')
    art.append('<div class="article-body">' + "".join(body.html) + "</div>")
    if rng.random() < 0.7:
        art.append(tag_list(rng, t, lang, rng.randint(0, 2)))
    if rng.random() < 0.4:
        art.append(author_box(rng, t, lang))
    art.append("</article>")
    main_parts = ["".join(art)]
    if rng.random() < 0.7:
        main_parts.append(related(rng, t, lang, rng.randint(0, 3)))
    if rng.random() < 0.4:
        main_parts.append(newsletter(lang))
    if rng.random() < 0.3:
        main_parts.append(comments(rng, lang, rng.randint(3, 12), rng.randint(0, 1)))
    content = "".join(main_parts)
    if use_main:
        parts.append(f'<main id="main-content">{content}</main>')
    else:
        parts.append(f'<div id="content" class="container">{content}</div>')
    if rng.random() < 0.7:
        parts.append(sidebar(rng, t, lang, rng.randint(0, 2)))
    parts.append(site_footer(rng, lang, site, rng.randint(0, 2)))
    page = head(titled(rng, h1, site), lang, t.sentence(), h1 if rng.random() < 0.8 else None, site) + \
        "<body>" + "".join(parts) + "</body></html>"
    return page, [h1] + body.truth, h1


def shape_wordpress(rng, lang):
    """A classic WordPress theme (Twenty-something): #page > #masthead, #primary > main >
    article.post with .entry-header, .entry-meta, .entry-content, .entry-footer, post
    navigation, #comments and #secondary widgets. The article's classes carry its categories,
    one of which may be 'advertising'."""
    t = Text(rng, lang)
    site = rng.choice(SITES)
    h1 = t.headline()
    body = article_body(rng, t, lang, rng.choice(["short", "medium", "long"]))
    ui = UI[lang]
    cat = rng.choice(["news", "advertising", "marketing-and-advertising", "uncategorized", "ad-tech", "events"])
    n_comments = rng.choice([0, 0, 4, 15, 45])
    parts = [f'<div id="page" class="site"><a class="skip-link screen-reader-text" href="#content">Skip to content</a>',
             f'<header id="masthead" class="site-header"><div class="site-branding"><p class="site-title"><a href="/">{esc(site)}</a></p>'
             f'<p class="site-description">{esc(t.short(6))}</p></div>'
             f'<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">{nav_items(rng, lang)}</ul></nav></header>',
             '<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main">',
             f'<article id="post-{rng.randint(10, 9999)}" class="post-{rng.randint(10, 9999)} post type-post status-publish format-standard hentry category-{cat}">',
             f'<header class="entry-header"><h1 class="entry-title">{esc(h1)}</h1>{byline(rng, lang, 1)}</header>',
             '<div class="entry-content">' + "".join(body.html) + "</div>",
             tag_list(rng, t, lang, 1) if rng.random() < 0.8 else "",
             "</article>",
             f'<nav class="navigation post-navigation" aria-label="Posts"><div class="nav-links"><div class="nav-previous">'
             f'<a href="/prev">{esc(t.headline())}</a></div><div class="nav-next"><a href="/next">{esc(t.headline())}</a></div></div></nav>']
    if n_comments:
        parts.append(comments(rng, lang, n_comments, 0))
    parts.append("</main></div>")
    parts.append(sidebar(rng, t, lang, 1))
    parts.append("</div>")
    parts.append(f'<footer id="colophon" class="site-footer"><div class="site-info"><a href="https://wordpress.example/">Proudly powered by WordPress</a></div></footer></div>')
    page = head(titled(rng, h1, site), lang, t.sentence(), h1, site) + \
        f'<body class="post-template-default single single-post single-format-standard">{"".join(parts)}</body></html>'
    return page, [h1] + body.truth, h1


def shape_ad_wrapper(rng, lang):
    """The whole page inside wrappers whose class or id holds an 'ad' part."""
    t = Text(rng, lang)
    site = rng.choice(SITES)
    h1 = t.headline()
    body = article_body(rng, t, lang, rng.choice(["medium", "long"]))
    wrapper = rng.choice([
        ('<div class="Page-ad-margins">', "</div>"),
        ('<div class="non-ad-column">', "</div>"),
        ('<div id="ad_body">', "</div>"),
        ('<div class="advertisement-pusher off-canvas-wrapper">', "</div>"),
        ('<div class="layout ad-free-layout">', "</div>"),
        ('<div id="adWrapper" class="ads-container-outer">', "</div>"),
        ('<div class="sponsored-wrapper">', "</div>"),
    ])
    use_article = rng.random() < 0.5
    inner = [site_header(rng, lang, site, rng.randint(0, 2))]
    a_open, a_close = ("<article>", "</article>") if use_article else ('<div class="post">', "</div>")
    inner.append(f'{a_open}<h1>{esc(h1)}</h1>{byline(rng, lang, rng.randint(0, 3))}'
                 f'<div class="post-body">{"".join(body.html)}</div>{a_close}')
    if rng.random() < 0.6:
        inner.append(related(rng, t, lang, rng.randint(0, 3)))
    inner.append(site_footer(rng, lang, site, rng.randint(0, 2)))
    page = head(titled(rng, h1, site), lang, t.sentence(), h1, site) + \
        f"<body>{wrapper[0]}{''.join(inner)}{wrapper[1]}</body></html>"
    return page, [h1] + body.truth, h1


def shape_aspnet(rng, lang):
    """ASP.NET WebForms: one <form id=aspnetForm> around the whole body, __VIEWSTATE inputs,
    table layout, ctl00_ ids, text with <br> runs."""
    t = Text(rng, lang)
    site = rng.choice(SITES)
    h1 = t.headline()
    truth = [h1]
    paras = []
    for _ in range(rng.randint(4, 9)):
        if rng.random() < 0.4:
            lines = [t.sentence() for _ in range(rng.randint(2, 4))]
            paras.append("<br />".join(esc(x) for x in lines) + "<br /><br />")
            truth.extend(lines)
        else:
            p = t.paragraph()
            paras.append(f"<p>{esc(p)}</p>")
            truth.append(p)
    menu = "".join(f'<tr><td><a href="/Default.aspx?page={i}">{x}</a></td></tr>'
                   for i, x in enumerate(["Home", "About", "Services", "News", "Contact"]))
    content_id = rng.choice(["ctl00_ContentPlaceHolder1_pnlContent", "ctl00_MainContent_divBody", "ContentPlaceHolder1_lblText"])
    content = f'<span id="ctl00_lblTitle"><h1>{esc(h1)}</h1></span><div id="{content_id}">{"".join(paras)}</div>'
    if rng.random() < 0.5:
        body = (f'<table width="100%"><tr><td colspan="2" class="header"><img src="/logo.gif" alt="{esc(site)}"></td></tr>'
                f'<tr><td class="leftnav" width="180"><table>{menu}</table></td><td class="content" valign="top">{content}</td></tr>'
                f'<tr><td colspan="2" class="footer">© 2024 {esc(site)} | <a href="/privacy.aspx">Privacy</a></td></tr></table>')
    else:
        body = (f'<div id="ctl00_header" class="header"><a href="/">{esc(site)}</a><ul class="nav">{nav_items(rng, lang)}</ul></div>'
                f'<div id="ctl00_wrapper"><div id="ctl00_main" class="main">{content}</div>'
                f'<div class="sidebar"><ul>{nav_items(rng, lang, 5)}</ul></div></div>'
                f'<div id="ctl00_footer">© 2024 {esc(site)} <a href="/privacy.aspx">Privacy</a></div>')
    page = head(titled(rng, h1, site), lang, t.sentence(), None) + \
        ('<body><form name="aspnetForm" method="post" action="./Default.aspx" id="aspnetForm">'
         '<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKMTY1NDU2MTA1MmRk" />'
         '<input type="hidden" name="__EVENTVALIDATION" value="xyz" />'
         f'{body}</form></body></html>')
    return page, truth, h1


def shape_two_mains(rng, lang):
    """Two [role=main] sections: the article and a related-stories list (sometimes the list
    comes first and holds more text)."""
    t = Text(rng, lang)
    site = rng.choice(SITES)
    h1 = t.headline()
    body = article_body(rng, t, lang, rng.choice(["short", "medium"]))
    teasers = "".join(f'<div class="item"><h3><a href="/s/{rng.randint(1, 9999)}">{esc(t.headline())}</a></h3>'
                      f'<p><a href="/s/{rng.randint(1, 9999)}">{esc(t.sentence())}</a></p></div>' for _ in range(rng.randint(6, 14)))
    art = f'<section role="main" class="article"><h1>{esc(h1)}</h1>{byline(rng, lang, rng.randint(0, 3))}{"".join(body.html)}</section>'
    lst = f'<section role="main" class="stories"><h2>{UI[lang]["more"]}</h2>{teasers}</section>'
    both = art + lst if rng.random() < 0.5 else lst + art
    page = head(titled(rng, h1, site), lang, t.sentence(), h1, site) + \
        f"<body>{site_header(rng, lang, site, rng.randint(0, 2))}{both}{site_footer(rng, lang, site, 0)}</body></html>"
    return page, [h1] + body.truth, h1


def shape_div_soup(rng, lang):
    """No semantic tags at all: div.article > div.content beside a comment thread that holds
    more text than the article, and a footer with an address."""
    t = Text(rng, lang)
    site = rng.choice(SITES)
    h1 = t.headline()
    body = article_body(rng, t, lang, rng.choice(["short", "medium"]))
    n = rng.choice([8, 20, 40])
    cm = comments(rng, lang, n, 1)
    variant = rng.randint(0, 2)
    if variant == 0:
        art = f'<div class="article"><div class="title"><h1>{esc(h1)}</h1></div><div class="content">{"".join(body.html)}</div></div>'
    elif variant == 1:
        art = f'<div id="story"><h1 class="headline">{esc(h1)}</h1>{byline(rng, lang, 3)}<div id="storytext">{"".join(body.html)}</div></div>'
    else:
        art = f'<div class="node"><h1>{esc(h1)}</h1><div class="field-body">{"".join(body.html)}</div></div>'
    page = head(titled(rng, h1, site), lang, t.sentence(), None) + \
        (f'<body><div id="wrapper">{site_header(rng, lang, site, 1)}<div id="main-column">{art}{cm}</div>'
         f'{sidebar(rng, t, lang, 2)}{site_footer(rng, lang, site, 1)}</div></body></html>')
    return page, [h1] + body.truth, h1


def shape_bare_br(rng, lang):
    """Running text as bare text and <br> directly inside a div that also holds block
    children (an image div, an ad box, a heading); the footer has an address block in <p>s."""
    t = Text(rng, lang)
    site = rng.choice(SITES)
    h1 = t.headline()
    truth = [h1]
    chunks = []
    for i in range(rng.randint(4, 8)):
        lines = [t.paragraph(1, 3) for _ in range(rng.randint(1, 3))]
        chunks.append("<br>".join(esc(x) for x in lines) + "<br><br>")
        truth.extend(lines)
        if i == 1:
            chunks.append(f'<div class="img"><img src="/p.jpg" alt=""></div>')
        if i == 2 and rng.random() < 0.6:
            chunks.append(f'<div class="box-ad">{UI[lang]["advert"]}</div>')
        if i == 3 and rng.random() < 0.5:
            sub = t.short(4)
            chunks.append(f"<h3>{esc(sub)}</h3>")
            truth.append(sub)
    foot = "".join(f"<p>{esc(x)}</p>" for x in [
        f"{site} Ltd, Harbour Street {rng.randint(1, 99)}, Portmouth, PM1 {rng.randint(1, 9)}QT, United Kingdom.",
        "Editorial office: open Monday to Friday from nine in the morning to five in the afternoon, closed on public holidays.",
        f"Registered in England and Wales under company number {rng.randint(10**6, 10**7)}, VAT number GB {rng.randint(10**8, 10**9)}.",
        "Telephone 01234 567 890, fax 01234 567 891, email office at the usual address, we answer within two days."])
    page = head(titled(rng, h1, site), lang, t.sentence(), None) + \
        (f'<body><div class="page">{site_header(rng, lang, site, 1)}<div class="main"><h1>{esc(h1)}</h1>'
         f'<div class="text">{"".join(chunks)}</div></div><div class="bottom">{foot}</div></div></body></html>')
    return page, truth, h1


def shape_main_comments(rng, lang):
    """<main> holding the post and a long comment thread."""
    t = Text(rng, lang)
    site = rng.choice(SITES)
    h1 = t.headline()
    body = article_body(rng, t, lang, rng.choice(["short", "medium"]))
    n = rng.choice([25, 40, 60])
    style = rng.randint(0, 2)
    if style == 2:
        cm = (f'<section id="comments"><h2>{n} {UI[lang]["comments"]}</h2>' +
              "".join(f'<div class="c"><b>{esc(rng.choice(NAMES))}</b><p>{esc(" ".join(rng.sample(COMMENT_LINES, 2)))}</p></div>'
                      for _ in range(n)) + "</section>")
    else:
        cm = comments(rng, lang, n, style)
    wrap_art = rng.random() < 0.5
    post = f'<h1>{esc(h1)}</h1>{byline(rng, lang, rng.randint(0, 3))}<div class="post-content">{"".join(body.html)}</div>'
    if wrap_art:
        post = f"<article>{post}</article>"
    page = head(titled(rng, h1, site), lang, t.sentence(), h1, site) + \
        (f"<body>{site_header(rng, lang, site, 0)}<main>{post}{cm}</main>"
         f"{site_footer(rng, lang, site, 0)}</body></html>")
    return page, [h1] + body.truth, h1


def shape_docs(rng, lang):
    """A documentation page (Sphinx, MkDocs, Docusaurus shapes): sidebar navigation, table of
    contents, prose with code blocks, prev/next links, an edit link and a feedback widget."""
    t = Text(rng, "tech")
    h1 = t.short(4).title()
    truth = [h1]
    blocks = []
    for i in range(rng.randint(5, 10)):
        r = rng.random()
        if r < 0.2 and i:
            h = t.short(4)
            blocks.append(f'<h2 id="s{i}">{esc(h)}<a class="headerlink" href="#s{i}">¶</a></h2>')
            truth.append(h)
        elif r < 0.4:
            code = f"$ tool run --workers {rng.randint(1, 16)}\nstarting workers\nlistening on 127.0.0.1:{rng.randint(1000, 9999)}"
            blocks.append(f'<div class="highlight"><pre><code class="language-bash">{esc(code)}</code></pre></div>')
            truth.append(code)
        elif r < 0.5:
            items = [t.sentence() for _ in range(3)]
            blocks.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ul>")
            truth.extend(items)
        elif r < 0.6:
            note = t.sentence()
            blocks.append(f'<div class="admonition note"><p class="admonition-title">Note</p><p>{esc(note)}</p></div>')
            truth.extend(["Note", note])
        else:
            p = t.paragraph()
            words = p.split()
            k = rng.randint(1, len(words) - 2)
            blocks.append(f"<p>{esc(' '.join(words[:k]))} <code>{esc(words[k])}</code> {esc(' '.join(words[k + 1:]))}</p>")
            truth.append(p)
    side = "".join(f'<li class="toctree-l1"><a class="reference internal" href="/docs/{i}">{x}</a></li>'
                   for i, x in enumerate(["Installation", "Quick start", "Configuration", "Workers", "Deployment",
                                          "Monitoring", "Troubleshooting", "API reference", "Changelog"]))
    toc = "".join(f'<li><a href="#s{i}">{esc(t.short(3))}</a></li>' for i in range(4))
    style = rng.randint(0, 2)
    if style == 0:
        page_body = (f'<div class="wy-grid-for-nav"><nav class="wy-nav-side"><div class="wy-menu"><ul>{side}</ul></div></nav>'
                     f'<section class="wy-nav-content-wrap"><div class="wy-nav-content"><div class="rst-content">'
                     f'<div role="navigation" aria-label="breadcrumbs"><a href="/docs/">Docs</a> » Workers</div>'
                     f'<div class="document" role="main" itemprop="articleBody"><section><h1>{esc(h1)}</h1>{"".join(blocks)}</section></div>'
                     f'<footer><div class="rst-footer-buttons"><a href="/prev">Previous</a><a href="/next">Next</a></div>'
                     f'<p>© Copyright 2024, The Tool Authors.</p></footer></div></div></section></div>')
    elif style == 1:
        page_body = (f'<div class="md-container"><header class="md-header"><a href="/">Tool docs</a></header>'
                     f'<div class="md-sidebar md-sidebar--primary"><nav class="md-nav"><ul>{side}</ul></nav></div>'
                     f'<div class="md-sidebar md-sidebar--secondary"><nav class="md-nav md-nav--secondary"><ul>{toc}</ul></nav></div>'
                     f'<div class="md-content"><article class="md-content__inner md-typeset">'
                     f'<a href="/edit/main/docs/workers.md" title="Edit this page" class="md-content__button">Edit</a>'
                     f'<h1>{esc(h1)}</h1>{"".join(blocks)}</article></div>'
                     f'<footer class="md-footer"><a href="/prev">Previous Deployment</a> <a href="/next">Next Monitoring</a></footer></div>')
    else:
        page_body = (f'<div id="__docusaurus"><nav class="navbar"><a href="/">Tool</a><a href="/docs">Docs</a><a href="/blog">Blog</a></nav>'
                     f'<div class="main-wrapper"><aside class="theme-doc-sidebar-container"><ul>{side}</ul></aside>'
                     f'<main class="docMainContainer"><div class="row"><div class="col docItemCol">'
                     f'<nav class="theme-doc-breadcrumbs"><a href="/">Home</a> <a href="/docs">Docs</a></nav>'
                     f'<article><div class="theme-doc-markdown markdown"><header><h1>{esc(h1)}</h1></header>{"".join(blocks)}</div>'
                     f'<footer class="theme-doc-footer"><a href="/edit">Edit this page</a><span>Last updated on Mar 4, 2024</span></footer></article>'
                     f'<nav class="pagination-nav"><a href="/prev">Previous « Deployment</a><a href="/next">Next Monitoring »</a></nav>'
                     f'<div class="feedback">Was this page helpful? <button>Yes</button><button>No</button></div>'
                     f'</div><div class="col col--3"><div class="tableOfContents"><ul>{toc}</ul></div></div></div></main></div>'
                     f'<footer class="footer">Copyright © 2024 Tool Authors.</footer></div>')
    page = head(f"{h1} — Tool 2.4 documentation", "en", t.sentence(), None) + f"<body>{page_body}</body></html>"
    return page, truth, h1


def shape_forum(rng, lang):
    """A forum thread (phpBB, vBulletin, Discourse shapes): posts with author cards, post
    counts, dates and signatures; the posts' text is the content."""
    t = Text(rng, lang)
    h1 = t.headline() + "?"
    truth = [h1]
    posts = []
    style = rng.randint(0, 2)
    for i in range(rng.randint(3, 9)):
        text = [t.paragraph(1, 4) for _ in range(rng.randint(1, 3))]
        truth.extend(text)
        name = rng.choice(NAMES)
        body = "<br><br>".join(esc(x) for x in text)
        sig = f'<div class="signature">{esc(rng.choice(["Sent from my phone", "Keep calm and carry on", "-- " + name]))}</div>'
        if style == 0:
            posts.append(f'<div id="p{i}" class="post bg{i % 2 + 1}"><div class="inner"><dl class="postprofile"><dt><a href="/u/{i}">{esc(name)}</a></dt>'
                         f'<dd>Posts: {rng.randint(1, 5000)}</dd><dd>Joined: Mon Jan 0{rng.randint(1, 9)}, 2018</dd></dl>'
                         f'<div class="postbody"><p class="author">by {esc(name)} » Tue Mar 05, 2024 10:{i:02d} am</p>'
                         f'<div class="content">{body}</div>{sig}</div></div></div>')
        elif style == 1:
            posts.append(f'<li class="postbitlegacy postcontainer" id="post_{i}"><div class="posthead"><span class="date">05.03.2024</span></div>'
                         f'<div class="userinfo"><a class="username" href="/member/{i}">{esc(name)}</a><span class="usertitle">Senior member</span></div>'
                         f'<div class="postdetails"><div class="postbody"><blockquote class="postcontent restore">{body}</blockquote></div>{sig}</div>'
                         f'<div class="postfoot"><a href="/reply">Reply With Quote</a></div></li>')
        else:
            posts.append(f'<article class="topic-post" data-post-number="{i + 1}"><div class="topic-avatar"><img src="/a.png" alt=""></div>'
                         f'<div class="topic-body"><div class="topic-meta-data"><span class="username"><a href="/u/{i}">{esc(name)}</a></span>'
                         f'<span class="post-date">Mar {i + 1}</span></div><div class="cooked">'
                         + "".join(f"<p>{esc(x)}</p>" for x in text) + '</div><section class="post-menu-area"><button>Like</button>'
                         f'<button>Reply</button></section></div></article>')
    if style == 1:
        posts_html = f'<ol id="posts" class="posts">{"".join(posts)}</ol>'
    else:
        posts_html = "".join(posts)
    page = head(f"{h1} - Community Forum", lang, "", None) + \
        (f'<body><div id="wrap"><div class="headerbar"><a href="/">Community Forum</a><ul class="navbar">{nav_items(rng, lang, 5)}</ul></div>'
         f'<div class="breadcrumbs"><a href="/">Board index</a> ‹ <a href="/f/2">General discussion</a></div>'
         f'<h1 class="topic-title">{esc(h1)}</h1><div class="action-bar"><a href="/reply">Post Reply</a> <span class="pagination">{len(posts)} posts • Page 1 of 1</span></div>'
         f'<div id="page-body">{posts_html}</div>'
         f'<div class="action-bar bottom"><a href="/reply">Post Reply</a></div>'
         f'<div id="page-footer"><p>Powered by forum software © 2024</p><p>Who is online: 12 users</p></div></div></body></html>')
    return page, truth, h1


def shape_product(rng, lang):
    """A shop's product page: breadcrumb, gallery, price and buy form, description and a
    specification table; reviews and 'customers also bought' carousels around."""
    t = Text(rng, lang)
    name = rng.choice(["Trail Runner 3 Shoe", "Ceramic Pour-Over Kettle", "Merino Hiking Sock", "Oak Desk Lamp",
                       "Waterproof Field Jacket", "Cast Iron Skillet 28 cm", "Folding Camp Chair", "Linen Duvet Cover"])
    truth = [name]
    desc = [t.paragraph(2, 4) for _ in range(rng.randint(2, 4))]
    truth.extend(desc)
    specs = [("Weight", f"{rng.randint(100, 2000)} g"), ("Material", rng.choice(["Steel", "Oak", "Wool", "Nylon"])),
             ("Colour", rng.choice(["Black", "Grey", "Green"])), ("Warranty", f"{rng.randint(1, 5)} years")]
    truth.extend(f"{k} {v}" for k, v in specs)
    spec_html = "<table class=\"specs\">" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in specs) + "</table>"
    reviews = "".join(f'<div class="review"><span class="stars">★★★★☆</span><b>{esc(rng.choice(NAMES))}</b>'
                      f'<p>{esc(" ".join(rng.sample(COMMENT_LINES, 2)))}</p></div>' for _ in range(rng.randint(2, 8)))
    also = "".join(f'<li class="product-card"><a href="/p/{i}"><img src="/p{i}.jpg" alt=""><span>Product {i}</span></a><span class="price">€{rng.randint(5, 99)}</span></li>'
                   for i in range(6))
    page = head(f"{name} | Outdoor Shop", lang, desc[0][:100], name, "Outdoor Shop") + \
        (f'<body>{site_header(rng, lang, "Outdoor Shop", 0)}<main class="product-page">'
         f'<nav class="breadcrumb"><a href="/">Home</a> / <a href="/c/1">Outdoor</a> / {esc(name)}</nav>'
         f'<div class="product"><div class="gallery"><img src="/g1.jpg" alt="{esc(name)}"></div>'
         f'<div class="summary"><h1 class="product-title">{esc(name)}</h1><p class="price">€{rng.randint(10, 300)}.99</p>'
         f'<form class="cart"><select><option>42</option></select><button>Add to basket</button></form>'
         f'<p class="stock">In stock, ships in 2 days</p></div></div>'
         f'<div class="tabs"><ul class="tab-titles"><li><a href="#d">Description</a></li><li><a href="#s">Specifications</a></li><li><a href="#r">Reviews</a></li></ul>'
         f'<div id="d" class="tab-panel description">{"".join(f"<p>{esc(x)}</p>" for x in desc)}</div>'
         f'<div id="s" class="tab-panel">{spec_html}</div>'
         f'<div id="r" class="tab-panel reviews"><h2>Customer reviews</h2>{reviews}</div></div>'
         f'<section class="upsells"><h2>Customers also bought</h2><ul>{also}</ul></section></main>'
         f'{site_footer(rng, lang, "Outdoor Shop", 0)}</body></html>')
    return page, truth, name


def shape_portal(rng, lang):
    """A section front or portal: the main listing of teasers (headline and standfirst) is
    the content; navigation, promos and sidebars are not."""
    t = Text(rng, lang)
    site = rng.choice(SITES)
    section = UI[lang]["news"]
    truth = [section]
    cards = []
    for i in range(rng.randint(6, 12)):
        h, s = t.headline(), t.paragraph(1, 2)
        truth.extend([h, s])
        if rng.random() < 0.5:
            cards.append(f'<article class="card"><h2><a href="/n/{i}">{esc(h)}</a></h2><p>{esc(s)}</p></article>')
        else:
            cards.append(f'<div class="teaser"><a href="/n/{i}"><h3>{esc(h)}</h3></a><div class="summary">{esc(s)}</div></div>')
    page = head(f"{section} | {site}", lang, t.sentence(), None) + \
        (f'<body>{site_header(rng, lang, site, rng.randint(0, 2))}<div class="container"><h1>{esc(section)}</h1>'
         f'<div class="listing">{"".join(cards)}</div>{sidebar(rng, t, lang, rng.randint(0, 2))}</div>'
         f'{site_footer(rng, lang, site, rng.randint(0, 2))}</body></html>')
    return page, truth, section


def shape_cms_misc(rng, lang):
    """Drupal, Joomla, Blogger, Ghost and Medium-like skeletons with their own class names."""
    t = Text(rng, lang)
    site = rng.choice(SITES)
    h1 = t.headline()
    body = article_body(rng, t, lang, rng.choice(["short", "medium", "long"]))
    ui = UI[lang]
    b = "".join(body.html)
    k = rng.randint(0, 4)
    if k == 0:  # Drupal
        main = (f'<div class="layout-container"><header role="banner"><a href="/">{esc(site)}</a></header>'
                f'<div class="region region-breadcrumb">{breadcrumb(lang, "news")}</div>'
                f'<main role="main"><div class="layout-content"><div class="region region-content">'
                f'<h1 class="page-title"><span class="field field--name-title">{esc(h1)}</span></h1>'
                f'<article role="article" class="node node--type-article node--view-mode-full"><div class="node__meta">{byline(rng, lang, 2)}</div>'
                f'<div class="node__content"><div class="clearfix text-formatted field field--name-body">{b}</div>'
                f'<div class="field field--name-field-tags"><div class="field__label">{ui["tags"]}</div><div class="field__items">'
                f'<div class="field__item"><a href="/t/1">{esc(t.short(2))}</a></div></div></div></div></article></div></div></main>'
                f'<aside class="layout-sidebar-first" role="complementary">{sidebar(rng, t, lang, 0)}</aside>'
                f'<footer role="contentinfo">{site_footer(rng, lang, site, 0)}</footer></div>')
    elif k == 1:  # Joomla
        main = (f'<div class="body"><div class="container"><header class="header"><a class="brand" href="/">{esc(site)}</a></header>'
                f'<nav class="navigation"><ul class="nav menu">{nav_items(rng, lang)}</ul></nav>'
                f'<div class="row-fluid"><main id="content" class="span9"><div class="item-page" itemscope itemtype="https://schema.org/Article">'
                f'<div class="page-header"><h2 itemprop="headline">{esc(h1)}</h2></div>'
                f'<dl class="article-info muted"><dd class="createdby">{ui["by"]} {esc(rng.choice(NAMES))}</dd><dd class="published">12 March 2024</dd><dd class="hits">Hits: {rng.randint(10, 9999)}</dd></dl>'
                f'<div itemprop="articleBody">{b}</div><ul class="pager pagenav"><li class="previous"><a href="/p">Prev</a></li><li class="next"><a href="/n">Next</a></li></ul></div></main>'
                f'<div id="aside" class="span3">{sidebar(rng, t, lang, 2)}</div></div></div></div>{site_footer(rng, lang, site, 2)}')
    elif k == 2:  # Blogger
        main = (f'<div class="outer-wrapper"><div class="header-outer"><h1 class="title"><a href="/">{esc(site)}</a></h1></div>'
                f'<div class="main-outer"><div class="main-inner"><div class="column-center-inner"><div class="blog-posts hfeed">'
                f'<div class="date-outer"><h2 class="date-header"><span>Tuesday, 5 March 2024</span></h2>'
                f'<div class="post hentry"><h3 class="post-title entry-title">{esc(h1)}</h3>'
                f'<div class="post-body entry-content">{b}</div>'
                f'<div class="post-footer"><span class="post-author vcard">Posted by {esc(rng.choice(NAMES))}</span> '
                f'<span class="post-labels">Labels: <a href="/l/1">{esc(t.short(2))}</a>, <a href="/l/2">{esc(t.short(2))}</a></span></div></div></div>'
                f'{comments(rng, lang, rng.randint(2, 10), 1)}</div><div class="blog-pager"><a href="/older">Older Post</a> <a href="/">Home</a></div></div>'
                f'<div class="column-right-inner">{sidebar(rng, t, lang, 2)}</div></div></div>'
                f'<div class="footer-outer">Powered by Blogger.</div></div>')
    elif k == 3:  # Ghost
        main = (f'<div class="site-wrapper"><header id="gh-head" class="gh-head"><a class="gh-head-logo" href="/">{esc(site)}</a>'
                f'<nav class="gh-head-menu"><ul class="nav">{nav_items(rng, lang, 5)}</ul></nav></header>'
                f'<main id="site-main" class="site-main"><article class="article post"><header class="article-header gh-canvas">'
                f'<section class="article-tag"><a href="/tag/news/">{ui["news"]}</a></section><h1 class="article-title">{esc(h1)}</h1>'
                f'<div class="article-byline"><div class="article-byline-meta"><h4 class="author-name"><a href="/author/x/">{esc(rng.choice(NAMES))}</a></h4>'
                f'<div class="byline-meta-content"><time class="byline-meta-date">Mar 5, 2024</time><span class="byline-reading-time">4 min read</span></div></div></div></header>'
                f'<section class="gh-content gh-canvas">{b}</section></article>'
                f'<section class="footer-cta outer"><div class="inner"><h2 class="footer-cta-title">{ui["newsletter"]}</h2>'
                f'<a class="footer-cta-button" href="#/portal">{ui["subscribe"]}</a></div></section>'
                f'<aside class="read-more-wrap outer"><div class="read-more inner">' +
                "".join(f'<article class="post-card"><a class="post-card-content-link" href="/x{i}/"><h2 class="post-card-title">{esc(t.headline())}</h2>'
                        f'<div class="post-card-excerpt">{esc(t.sentence())}</div></a></article>' for i in range(3)) +
                f'</div></aside></main><footer class="site-footer outer">{esc(site)} © 2024 — Published with Ghost</footer></div>')
    else:  # Medium-like, class names hashed
        cls = lambda: "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(2)) + str(rng.randint(0, 9))
        main = (f'<div class="{cls()} {cls()}"><div class="{cls()}"><a href="/">{esc(site)}</a> <a href="/m/signin">Sign in</a></div>'
                f'<article><div class="{cls()}"><section class="{cls()}"><div class="{cls()}"><h1 class="pw-post-title">{esc(h1)}</h1>'
                f'<div class="{cls()}"><a href="/@x">{esc(rng.choice(NAMES))}</a><span>·</span><span>6 min read</span><span>·</span><span>Mar 5, 2024</span></div>'
                f'<div class="{cls()}"><button>Listen</button><button>Share</button></div>{b}</div></section></div></article>'
                f'<div class="{cls()}"><h2>More from {esc(site)}</h2>' +
                "".join(f'<div class="{cls()}"><a href="/x{i}"><h2>{esc(t.headline())}</h2></a><p>{esc(t.sentence())}</p></div>' for i in range(4)) +
                f'</div><div class="{cls()}"><a href="/help">Help</a> <a href="/status">Status</a> <a href="/about">About</a></div></div>')
        return head(titled(rng, h1, site), lang, t.sentence(), h1, site) + f"<body>{main}</body></html>", [h1] + body.truth, h1
    page = head(titled(rng, h1, site), lang, t.sentence(), h1 if rng.random() < 0.7 else None, site) + \
        f"<body>{main}</body></html>"
    return page, [h1] + body.truth, h1


def shape_old_table(rng, lang):
    """An old table-layout site: nested layout tables, font tags, menus in a left cell,
    the article in a wide cell with <p> and <br> text."""
    t = Text(rng, lang)
    site = rng.choice(SITES)
    h1 = t.headline()
    truth = [h1]
    paras = []
    for _ in range(rng.randint(4, 8)):
        p = t.paragraph()
        truth.append(p)
        paras.append(f'<p><font face="Verdana" size="2">{esc(p)}</font></p>' if rng.random() < 0.5 else f"{esc(p)}<br><br>")
    menu = "<br>".join(f'<a href="/{i}.htm">{x}</a>' for i, x in enumerate(["Home", "History", "Gallery", "Links", "Guestbook", "Contact"]))
    page = head(titled(rng, h1, site), lang, "", None) + \
        (f'<body bgcolor="#ffffff"><table width="780" border="0" cellpadding="0"><tr><td colspan="2"><img src="/banner.gif" alt="{esc(site)}"></td></tr>'
         f'<tr><td width="150" valign="top" bgcolor="#eeeeee"><font size="1">{menu}</font></td>'
         f'<td valign="top"><table><tr><td><h2><font color="#003366">{esc(h1)}</font></h2>{"".join(paras)}</td></tr></table></td></tr>'
         f'<tr><td colspan="2" align="center"><font size="1">© 2003-2024 {esc(site)} | Last updated 01/03/2024 | <a href="mailto:web@site.example">Webmaster</a></font></td></tr></table></body></html>')
    return page, truth, h1


def shape_recipe(rng, lang):
    """A recipe blog: long story, a 'jump to recipe' button, a recipe card with ingredients
    and method, ads between paragraphs, comments."""
    t = Text(rng, lang)
    site = rng.choice(SITES)
    h1 = rng.choice(["Easy Leek and Potato Soup", "The Best Apple Crumble", "Weeknight Fish Pie", "Rustic Sourdough Loaf",
                     "Slow Cooker Beef Stew", "Lemon Drizzle Cake"])
    story = article_body(rng, t, lang, "medium", allow_tables=False)
    ingredients = [f"{rng.randint(1, 500)} g {x}" for x in rng.sample(["flour", "butter", "sugar", "leeks", "potatoes",
                                                                         "stock", "apples", "oats", "salt", "cream"], 5)]
    steps = [t.sentence() for _ in range(rng.randint(3, 6))]
    truth = [h1] + story.truth + ["Ingredients"] + ingredients + ["Method"] + steps
    card = (f'<div class="wprm-recipe-container"><div class="wprm-recipe"><h2 class="wprm-recipe-name">{esc(h1)}</h2>'
            f'<div class="wprm-recipe-meta"><span>Prep 15 mins</span> <span>Cook 40 mins</span> <span>Serves 4</span></div>'
            f'<div class="wprm-recipe-buttons"><a href="/print">Print Recipe</a> <a href="/pin">Pin Recipe</a></div>'
            f'<h3>Ingredients</h3><ul class="wprm-recipe-ingredients">{"".join(f"<li>{esc(x)}</li>" for x in ingredients)}</ul>'
            f'<h3>Method</h3><ol class="wprm-recipe-instructions">{"".join(f"<li>{esc(x)}</li>" for x in steps)}</ol></div></div>')
    page = head(titled(rng, h1, site), lang, t.sentence(), h1, site) + \
        (f'<body>{site_header(rng, lang, site, 0)}<div class="site-inner"><div class="content-sidebar-wrap"><main class="content">'
         f'<article class="post type-post entry"><header class="entry-header"><h1 class="entry-title">{esc(h1)}</h1>'
         f'<p class="entry-meta">{byline(rng, lang, 0)}</p></header><div class="entry-content">'
         f'<div class="wprm-jump"><a href="#recipe">Jump to Recipe</a></div>{"".join(story.html)}{card}</div></article>'
         f'{comments(rng, lang, rng.randint(5, 30), 0)}</main>{sidebar(rng, t, lang, 1)}</div></div>'
         f'{site_footer(rng, lang, site, 0)}</body></html>')
    return page, truth, h1


def shape_press_release(rng, lang):
    """A company press-release page in a corporate CMS: hero, article in a generic
    content div, contact box and boilerplate 'About us' paragraph, lots of footer links."""
    t = Text(rng, lang)
    site = rng.choice(["Northwind Energy", "Contoso Health", "Fabrikam Rail", "Tailspin Foods"])
    h1 = t.headline()
    body = article_body(rng, t, lang, "medium", links=False)
    about = f"About {site}: {t.paragraph(2, 3)}"
    footer_cols = "".join(f'<div class="col"><h4>{x}</h4><ul>{nav_items(rng, lang, 5)}</ul></div>' for x in ["Company", "Products", "Investors", "Careers"])
    page = head(f"{h1} | Press | {site}", lang, t.sentence(), h1, site) + \
        (f'<body><div class="cmp-page"><header class="cmp-header"><a href="/">{esc(site)}</a><ul class="cmp-navigation">{nav_items(rng, lang)}</ul></header>'
         f'<div class="cmp-hero"><div class="cmp-hero__eyebrow">Press release</div></div>'
         f'<div class="cmp-container"><div class="cmp-text"><p class="date">Oslo, 5 March 2024</p><h1>{esc(h1)}</h1>{"".join(body.html)}</div>'
         f'<div class="cmp-text boilerplate"><p><em>{esc(about)}</em></p></div>'
         f'<div class="cmp-contact"><h3>Media contact</h3><p>{esc(rng.choice(NAMES))}<br>press@company.example<br>+47 22 00 00 00</p></div></div>'
         f'<footer class="cmp-footer"><div class="cols">{footer_cols}</div><p>© 2024 {esc(site)}</p></footer></div></body></html>')
    # The company boilerplate paragraph is read as part of a release: it stays in the truth.
    return page, [h1] + body.truth + [about], h1


def shape_qa(rng, lang):
    """A Q&A page (Stack Exchange shape): the question and its answers are the content; vote
    counts, user cards, per-post comment lines, tags and the 'related questions' sidebar
    are not."""
    t = Text(rng, "tech")
    h1 = "How do I " + t.short(6).lower() + "?"
    truth = [h1]

    def post(cls, paras, votes):
        body = "".join(f"<p>{esc(x)}</p>" for x in paras)
        if rng.random() < 0.5:
            code = f"tool run --workers {rng.randint(1, 16)}"
            body += f"<pre><code>{esc(code)}</code></pre>"
            paras = paras + [code]
        truth.extend(paras)
        comments = "".join(f'<li class="comment"><span class="comment-copy">{esc(rng.choice(COMMENT_LINES))}</span> – '
                           f'<a class="comment-user" href="/u/{i}">{esc(rng.choice(NAMES))}</a> <span class="relativetime">Mar {i + 1}</span></li>'
                           for i in range(rng.randint(0, 3)))
        return (f'<div class="{cls}"><div class="votecell"><div class="js-vote-count">{votes}</div></div>'
                f'<div class="postcell"><div class="s-prose js-post-body">{body}</div>'
                f'<div class="post-signature"><div class="user-info"><div class="user-action-time">asked Mar 5 at 10:00</div>'
                f'<a href="/users/1">{esc(rng.choice(NAMES))}</a><span class="reputation-score">{rng.randint(1, 99999)}</span></div></div></div>'
                f'<div class="comments"><ul class="comments-list">{comments}</ul></div></div>')

    question = post("question", [t.paragraph(2, 4) for _ in range(rng.randint(1, 3))], rng.randint(-2, 300))
    answers = "".join(post("answer", [t.paragraph(3, 6) for _ in range(rng.randint(1, 3))], rng.randint(0, 500))
                      for _ in range(rng.randint(2, 5)))
    related_q = "".join(f'<li><a href="/q/{i}">{esc(t.headline())}?</a></li>' for i in range(6))
    page = head(f"{h1} - Stack Overflow", "en", "", h1) + \
        (f'<body><header class="s-topbar"><a href="/">Stack</a><form><input name="q"></form></header>'
         f'<div class="container"><div id="left-sidebar"><nav><ol><li><a href="/">Home</a></li><li><a href="/questions">Questions</a></li></ol></nav></div>'
         f'<div id="content"><div id="question-header"><h1 itemprop="name"><a href="/q/1">{esc(h1)}</a></h1></div>'
         f'<div id="mainbar">{question}<div id="answers"><h2>{rng.randint(2, 5)} Answers</h2>{answers}</div></div>'
         f'<div id="sidebar"><div class="module"><h4>Related</h4><ul>{related_q}</ul></div></div></div></div>'
         f'<footer class="site-footer">Site design / logo © 2024</footer></body></html>')
    return page, truth, h1


def shape_liveblog(rng, lang):
    """A live blog: an intro, then timestamped entries, some with headings, all content."""
    t = Text(rng, lang)
    site = rng.choice(SITES)
    h1 = t.headline() + " – live"
    intro = t.paragraph(2, 4)
    truth = [h1, intro]
    entries = []
    for i in range(rng.randint(6, 14)):
        paras = [t.paragraph(1, 4) for _ in range(rng.randint(1, 3))]
        head_text = t.short(5) if rng.random() < 0.4 else None
        truth.extend(([head_text] if head_text else []) + paras)
        h = f"<h2>{esc(head_text)}</h2>" if head_text else ""
        entries.append(f'<div class="block"><time class="block-time">{10 + i // 6}:{(i * 7) % 60:02d}</time>{h}'
                       + "".join(f"<p>{esc(x)}</p>" for x in paras) +
                       f'<div class="block-share"><a href="https://share.example/f">Share</a></div></div>')
    page = head(titled(rng, h1, site), lang, t.sentence(), h1, site) + \
        (f'<body>{site_header(rng, lang, site, 0)}<main><article><h1>{esc(h1)}</h1>{byline(rng, lang, 0)}'
         f'<div class="live-intro"><p>{esc(intro)}</p></div><div class="live-blog">{"".join(entries)}</div></article>'
         f'{related(rng, t, lang, 0)}</main>{site_footer(rng, lang, site, 0)}</body></html>')
    return page, truth, h1


def shape_wiki(rng, lang):
    """A wiki article (MediaWiki shape): many inline links, an infobox, a table of contents,
    edit links, references and navboxes."""
    t = Text(rng, lang)
    h1 = t.short(3).title()
    truth = [h1]
    body = []
    for sec in range(rng.randint(3, 6)):
        if sec:
            h = t.short(3)
            body.append(f'<h2><span class="mw-headline" id="s{sec}">{esc(h)}</span><span class="mw-editsection">[<a href="/edit/{sec}">edit</a>]</span></h2>')
            truth.append(h)
        for _ in range(rng.randint(1, 3)):
            words = t.paragraph(2, 4).split(" ")
            out = []
            for w in words:
                out.append(f'<a href="/wiki/{esc(w.strip(".,"))}">{esc(w)}</a>' if rng.random() < 0.15 else esc(w))
            body.append("<p>" + " ".join(out) + f'<sup class="reference"><a href="#cite-{sec}">[{sec + 1}]</a></sup></p>')
            truth.append(" ".join(words))
    infobox = ('<table class="infobox"><tr><th colspan="2">' + esc(h1) + '</th></tr>' +
               "".join(f'<tr><th>{k}</th><td><a href="/wiki/{v}">{v}</a></td></tr>' for k, v in
                       [("Country", "Freedonia"), ("Region", "North"), ("Founded", "1820")]) + "</table>")
    toc = '<div id="toc" class="toc"><h2>Contents</h2><ul>' + "".join(f'<li><a href="#s{i}">{i} Section</a></li>' for i in range(1, 4)) + "</ul></div>"
    refs = '<h2>References</h2><ol class="references">' + "".join(f'<li id="cite-{i}"><a href="https://ref.example/{i}">Reference source {i}</a>. Retrieved 2024.</li>' for i in range(6)) + "</ol>"
    navbox = '<div class="navbox"><table><tr><th>Places</th><td>' + " · ".join(f'<a href="/wiki/P{i}">Place {i}</a>' for i in range(15)) + "</td></tr></table></div>"
    page = head(f"{h1} - Wikipedia", lang, "", None) + \
        (f'<body><div id="mw-page-base"></div><div id="mw-navigation"><div id="mw-panel"><ul>{nav_items(rng, lang)}</ul></div></div>'
         f'<main id="content" class="mw-body"><h1 id="firstHeading" class="firstHeading">{esc(h1)}</h1>'
         f'<div id="bodyContent"><div id="siteSub">From Wikipedia, the free encyclopedia</div>'
         f'<div id="mw-content-text"><div class="mw-parser-output">{infobox}{body[0] if body else ""}{toc}{"".join(body[1:])}{refs}{navbox}</div></div>'
         f'<div id="catlinks" class="catlinks">Categories: <a href="/c/1">Places</a> | <a href="/c/2">Towns</a></div></div></main>'
         f'<div id="footer"><ul id="footer-places"><li><a href="/privacy">Privacy policy</a></li></ul></div></body></html>')
    return page, truth, h1


# ---- second batch: shapes written after the rules, to see them on pages not made for them --

IT = {
    "subj": ["Il sindaco", "I residenti del quartiere", "La giunta regionale", "Il consiglio comunale", "L'azienda dei trasporti",
             "Gli studenti dell'ateneo", "La protezione civile", "Il museo civico"],
    "verb": ["ha presentato", "ha contestato", "ha approvato", "ha rinviato", "ha finanziato", "ha inaugurato",
             "ha sospeso", "ha annunciato"],
    "obj": ["il nuovo piano del traffico", "la riapertura della biblioteca", "il bilancio del prossimo anno",
            "uno studio sulla qualità dell'aria", "il restauro del teatro", "le nuove corse notturne",
            "un progetto di case popolari", "la pista ciclabile sul lungomare"],
    "tail": ["dopo mesi di discussione", "nonostante le proteste", "martedì sera", "al termine di una lunga seduta",
             "prima dell'estate", "con fondi europei", "anche se i costi sono aumentati"],
    "extra": ["I lavori dovrebbero concludersi entro dicembre.", "L'opposizione ha chiesto maggiore trasparenza.",
              "Il costo stimato è di tre milioni di euro.", "I cittadini potranno inviare osservazioni fino a fine mese."],
}
PT = {
    "subj": ["A prefeitura", "Os moradores do bairro", "O governo estadual", "A câmara municipal", "A universidade",
             "Os agricultores da região", "A companhia de águas", "O hospital central"],
    "verb": ["anunciou", "criticou", "aprovou", "adiou", "financiou", "inaugurou", "suspendeu", "apresentou"],
    "obj": ["o novo plano de mobilidade", "a reforma do mercado municipal", "o orçamento do próximo ano",
            "um estudo sobre a qualidade da água", "a restauração da igreja matriz", "novas linhas de ônibus",
            "um programa de moradias populares", "a ciclovia da orla"],
    "tail": ["depois de meses de debate", "apesar dos protestos", "na terça-feira à noite", "após audiência pública",
             "antes do verão", "com recursos federais", "embora os custos tenham subido"],
    "extra": ["As obras devem terminar em dezembro.", "A oposição pediu mais transparência.",
              "O custo estimado é de dez milhões de reais.", "A população pode enviar sugestões até o fim do mês."],
}
NL = {
    "subj": ["De gemeenteraad", "Bewoners van de wijk", "Het waterschap", "De provincie", "De universiteit",
             "Boeren in de polder", "Het ziekenhuis", "De vervoerder"],
    "verb": ["presenteerde", "bekritiseerde", "keurde", "stelde uit", "financierde", "opende", "schortte op", "kondigde aan"],
    "obj": ["het nieuwe verkeersplan", "de renovatie van de bibliotheek", "de begroting voor volgend jaar",
            "een onderzoek naar de luchtkwaliteit", "de restauratie van de molen", "nieuwe nachtbussen",
            "een plan voor betaalbare woningen", "het fietspad langs de dijk"],
    "tail": ["na maanden van discussie", "ondanks bezwaren", "op dinsdagavond", "na een inspraakavond",
             "voor de zomer", "met geld uit Den Haag", "hoewel de kosten stegen"],
    "extra": ["De werkzaamheden duren tot december.", "De oppositie vroeg om meer openheid.",
              "De kosten worden geschat op drie miljoen euro.", "Inwoners kunnen tot eind van de maand reageren."],
}
PL = {
    "subj": ["Rada miasta", "Mieszkańcy osiedla", "Urząd marszałkowski", "Prezydent miasta", "Politechnika",
             "Rolnicy z regionu", "Szpital wojewódzki", "Miejskie przedsiębiorstwo komunikacyjne"],
    "verb": ["przedstawił", "skrytykowali", "zatwierdziła", "odłożyła", "sfinansował", "otworzył", "wstrzymał", "zapowiedział"],
    "obj": ["nowy plan transportowy", "remont biblioteki publicznej", "budżet na przyszły rok",
            "badanie jakości powietrza", "renowację starego młyna", "nowe linie nocne",
            "program tanich mieszkań", "ścieżkę rowerową wzdłuż rzeki"],
    "tail": ["po miesiącach dyskusji", "mimo protestów", "we wtorek wieczorem", "po konsultacjach społecznych",
             "przed latem", "ze środków unijnych", "choć koszty wzrosły"],
    "extra": ["Prace mają potrwać do grudnia.", "Opozycja domaga się większej przejrzystości.",
              "Koszt oszacowano na dwanaście milionów złotych.", "Mieszkańcy mogą zgłaszać uwagi do końca miesiąca."],
}
JA = {
    "subj": ["市議会は", "地元の住民は", "県の担当者は", "大学の研究チームは", "鉄道会社は", "商店街の組合は"],
    "verb": ["発表した", "批判した", "承認した", "延期した", "支援した", "公開した"],
    "obj": ["新しい交通計画を", "図書館の改修を", "来年度の予算案を", "大気汚染の調査結果を", "古い橋の修復を", "夜間バスの運行を"],
    "tail": ["長い議論の末に", "反対意見が相次ぐ中で", "火曜日の夜に", "住民説明会の後で", "夏休みの前に"],
    "extra": ["工事は十二月まで続く見込みだ。", "費用は約三億円と見積もられている。", "住民は月末まで意見を出すことができる。"],
}
LANGS.update({"it": IT, "pt": PT, "nl": NL, "pl": PL, "ja": JA})


class TextJa(Text):
    """Japanese sentences: no spaces, the object before the verb, a full stop of its own."""

    def sentence(self):
        r, x = self.rng, self.lex
        s = f"{r.choice(x['subj'])}{r.choice(x['tail'])}、{r.choice(x['obj'])}{r.choice(x['verb'])}。"
        if r.random() < 0.3:
            s += r.choice(x["extra"])
        return s

    def paragraph(self, lo=2, hi=5):
        return "".join(self.sentence() for _ in range(self.rng.randint(lo, hi)))

    def headline(self):
        r, x = self.rng, self.lex
        return f"{r.choice(x['subj'])}{r.choice(x['obj'])}{r.choice(x['verb'])}"

    def short(self, n=6):
        return self.headline()


def text_for(rng, lang):
    return TextJa(rng, lang) if lang == "ja" else Text(rng, lang)


SHOP_LINES = ["Runs true to size, I ordered my usual.", "The colour is darker than in the photos.",
              "Arrived in two days, well packed.", "Stopped working after a month, replaced without fuss.",
              "Exactly as described, would buy again.", "A bit heavy but very sturdy."]


def plain_body(rng, t, n_lo=4, n_hi=9, heads=True):
    """Paragraphs with the odd sub-heading and list: (html, truth)."""
    html_parts, truth = [], []
    for i in range(rng.randint(n_lo, n_hi)):
        r = rng.random()
        if heads and i > 1 and r < 0.15:
            h = t.short(5)
            html_parts.append(f"<h2>{esc(h)}</h2>")
            truth.append(h)
        elif i > 0 and r < 0.25:
            items = [t.sentence() for _ in range(rng.randint(2, 4))]
            html_parts.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ul>")
            truth.extend(items)
        else:
            p = t.paragraph()
            html_parts.append(f"<p>{esc(p)}</p>")
            truth.append(p)
    return "".join(html_parts), truth


def shape_furo(rng, lang):
    """Sphinx with the Furo theme: sidebar drawer, `article[role=main]`, on-page TOC drawer,
    'related-pages' next/previous links, 'Copyright' and 'Made with Sphinx' footer."""
    t = Text(rng, "tech")
    h1 = t.short(4).title()
    truth = [h1]
    blocks = []
    for i in range(rng.randint(5, 9)):
        r = rng.random()
        if i and r < 0.2:
            h = t.short(4)
            blocks.append(f'<section id="s{i}"><h2>{esc(h)}<a class="headerlink" href="#s{i}" title="Link to this heading">#</a></h2>')
            truth.append(h)
            p = t.paragraph(1, 3)
            blocks.append(f"<p>{esc(p)}</p></section>")
            truth.append(p)
        elif r < 0.45:
            code = f"import tool\n\nclient = tool.Client(timeout={rng.randint(1, 60)})\nclient.run(workers={rng.randint(1, 16)})"
            blocks.append(f'<div class="highlight-python notranslate"><div class="highlight"><pre><span></span>{esc(code)}</pre></div></div>')
            truth.append(code)
        elif r < 0.55:
            note = t.sentence()
            blocks.append(f'<div class="admonition warning"><p class="admonition-title">Warning</p><p>{esc(note)}</p></div>')
            truth.extend(["Warning", note])
        else:
            p = t.paragraph()
            blocks.append(f"<p>{esc(p)}</p>")
            truth.append(p)
    side = "".join(f'<li class="toctree-l1"><a class="reference internal" href="/{x.lower()}/">{x}</a></li>'
                   for x in ["Install", "Tutorial", "Configuration", "Plugins", "Deploying", "FAQ", "Changelog"])
    toc = "".join(f'<li><a class="reference internal" href="#s{i}">{esc(t.short(3))}</a></li>' for i in range(4))
    page = head(f"{h1} - Tool documentation", "en", t.sentence(), None) + \
        (f'<body><svg xmlns="http://www.w3.org/2000/svg" style="display: none;"><symbol id="svg-toc"></symbol></svg>'
         f'<input type="checkbox" class="sidebar-toggle" id="__navigation"><label class="overlay sidebar-overlay" for="__navigation"></label>'
         f'<a class="skip-to-content muted-link" href="#furo-main-content">Skip to content</a>'
         f'<div class="page"><header class="mobile-header"><div class="header-center"><a href="/"><div class="brand">Tool 3.1</div></a></div></header>'
         f'<aside class="sidebar-drawer"><div class="sidebar-container"><div class="sidebar-sticky"><a class="sidebar-brand" href="/"><span class="sidebar-brand-text">Tool 3.1</span></a>'
         f'<form class="sidebar-search-container" method="get" action="/search.html" role="search"><input class="sidebar-search" placeholder="Search" name="q"></form>'
         f'<div class="sidebar-scroll"><div class="sidebar-tree"><p class="caption" role="heading"><span class="caption-text">User guide</span></p><ul>{side}</ul></div></div></div></div></aside>'
         f'<div class="main"><div class="content"><div class="article-container"><a href="#" class="back-to-top muted-link">Back to top</a>'
         f'<div class="content-icon-container"><div class="edit-this-page"><a class="muted-link" href="/edit/main/docs/page.rst" title="Edit this page">Edit this page</a></div></div>'
         f'<article role="main" id="furo-main-content"><section id="top"><h1>{esc(h1)}<a class="headerlink" href="#top" title="Link to this heading">#</a></h1>'
         f'{"".join(blocks)}</section></article></div>'
         f'<footer><div class="related-pages"><a class="next-page" href="/next/"><div class="page-info"><div class="context"><span>Next</span></div><div class="title">Deploying</div></div></a>'
         f'<a class="prev-page" href="/prev/"><div class="page-info"><div class="context"><span>Previous</span></div><div class="title">Plugins</div></div></a></div>'
         f'<div class="bottom-of-page"><div class="left-details"><div class="copyright">Copyright &#169; 2024, Tool developers</div>'
         f'Made with <a href="https://www.sphinx-doc.org/">Sphinx</a> and Furo</div></div></footer></div>'
         f'<aside class="toc-drawer"><div class="toc-sticky toc-scroll"><div class="toc-title-container"><span class="toc-title">On this page</span></div>'
         f'<div class="toc-tree-container"><div class="toc-tree"><ul>{toc}</ul></div></div></div></aside></div></div></body></html>')
    return page, truth, h1


def shape_vitepress(rng, lang):
    """VitePress / VuePress docs: nav bar, sidebar groups, `.vp-doc` content, outline aside,
    'Edit this page on GitHub', 'Last updated', pager links to previous and next pages."""
    t = Text(rng, "tech")
    h1 = t.short(3).title()
    body, truth = [], [h1]
    for i in range(rng.randint(4, 8)):
        r = rng.random()
        if i and r < 0.25:
            h = t.short(4)
            body.append(f'<h2 id="h{i}" tabindex="-1">{esc(h)} <a class="header-anchor" href="#h{i}" aria-label="Permalink">&#8203;</a></h2>')
            truth.append(h)
        elif r < 0.45:
            code = f"export default {{\n  base: '/docs/',\n  retries: {rng.randint(0, 9)},\n}}"
            body.append(f'<div class="language-js vp-adaptive-theme"><button title="Copy Code" class="copy"></button><span class="lang">js</span>'
                        f'<pre class="shiki"><code>{esc(code)}</code></pre></div>')
            truth.append(code)
        elif r < 0.55:
            tip = t.sentence()
            body.append(f'<div class="tip custom-block"><p class="custom-block-title">TIP</p><p>{esc(tip)}</p></div>')
            truth.extend(["TIP", tip])
        else:
            p = t.paragraph(1, 4)
            body.append(f"<p>{esc(p)}</p>")
            truth.append(p)
    groups = "".join(f'<section class="VPSidebarItem level-0"><div class="item"><h2 class="text">{g}</h2></div><div class="items">'
                     + "".join(f'<div class="VPSidebarItem level-1"><a class="VPLink link" href="/{g.lower()}/{k}"><p class="text">{esc(t.short(2).title())}</p></a></div>' for k in range(4))
                     + "</div></section>" for g in ["Introduction", "Guide", "Reference"])
    outline = "".join(f'<li><a class="outline-link" href="#h{i}">{esc(t.short(3))}</a></li>' for i in range(3))
    page = head(f"{h1} | Kit", "en", t.sentence(), None) + \
        (f'<body><div id="app"><div class="Layout"><div class="VPNav"><div class="VPNavBar"><a class="title" href="/"><span>Kit</span></a>'
         f'<nav class="VPNavBarMenu"><a href="/guide/">Guide</a><a href="/reference/">Reference</a><a href="/blog/">Blog</a></nav></div></div>'
         f'<aside class="VPSidebar"><nav class="nav" id="VPSidebarNav">{groups}</nav></aside>'
         f'<div class="VPContent has-sidebar" id="VPContent"><div class="VPDoc has-sidebar has-aside"><div class="container">'
         f'<div class="aside"><div class="aside-container"><div class="aside-content"><nav class="VPDocAsideOutline"><div class="outline-title">On this page</div><ul>{outline}</ul></nav></div></div></div>'
         f'<div class="content"><div class="content-container"><main class="main"><div style="position:relative;" class="vp-doc _guide_page">'
         f'<div><h1 id="top" tabindex="-1">{esc(h1)} <a class="header-anchor" href="#top">&#8203;</a></h1>{"".join(body)}</div></div></main>'
         f'<footer class="VPDocFooter"><div class="edit-info"><div class="edit-link"><a class="VPLink link edit-link-button" href="https://github.example/edit">Edit this page on GitHub</a></div>'
         f'<div class="last-updated"><p class="VPLastUpdated">Last updated: <time datetime="2024-03-01">3/1/24</time></p></div></div>'
         f'<nav class="prev-next"><div class="pager"><a class="VPLink link pager-link prev" href="/p"><span class="desc">Previous page</span><span class="title">Getting Started</span></a></div>'
         f'<div class="pager"><a class="VPLink link pager-link next" href="/n"><span class="desc">Next page</span><span class="title">Deploy</span></a></div></nav></footer>'
         f'</div></div></div></div></div></div></body></html>')
    return page, truth, h1


def shape_mdn(rng, lang):
    """A reference page (MDN-like): breadcrumbs, `main#content > article.main-page-content`,
    a sidebar of the whole API, an on-page TOC, 'Found a content problem?' and 'This page was
    last modified' metadata sections after the article."""
    t = text_for(rng, lang if lang != "en" else "tech")
    h1 = t.short(3).title() if lang == "en" else t.headline()
    truth = [h1]
    secs = []
    for i in range(rng.randint(3, 5)):
        h = t.short(3).title() if lang == "en" else t.short(3)
        ps = [t.paragraph(1, 3) for _ in range(rng.randint(1, 2))]
        code = f"const value = compute({rng.randint(1, 99)});\nconsole.log(value);" if rng.random() < 0.5 else None
        truth.append(h)
        truth.extend(ps)
        inner = "".join(f"<p>{esc(p)}</p>" for p in ps)
        if code:
            inner += f'<div class="code-example"><div class="example-header"><span class="language-name">js</span></div><pre class="brush: js notranslate"><code>{esc(code)}</code></pre></div>'
            truth.append(code)
        secs.append(f'<section aria-labelledby="s{i}"><h2 id="s{i}"><a href="#s{i}">{esc(h)}</a></h2><div class="section-content">{inner}</div></section>')
    lede = t.paragraph(1, 2)
    truth.insert(1, lede)
    api = "".join(f'<li><a href="/docs/Web/API/{k}"><code>{esc(t.short(1))}()</code></a></li>' for k in range(12))
    page = head(f"{h1} - Web APIs | Dev Docs", lang, lede[:120], None) + \
        (f'<body><ul id="nav-access" class="a11y-nav"><li><a id="skip-main" href="#content">Skip to main content</a></li><li><a id="skip-search" href="#top-nav-search-input">Skip to search</a></li></ul>'
         f'<div class="page-wrapper category-api document-page"><div class="top-navigation-wrap"><header class="top-navigation"><a href="/" class="logo">Dev Docs</a>'
         f'<nav class="main-nav" aria-label="Main menu"><ul class="main-menu"><li><a href="/docs/Web">References</a></li><li><a href="/docs/Learn">Guides</a></li><li><a href="/plus">Plus</a></li></ul></nav></header>'
         f'<nav class="article-actions-container"><ol typeof="BreadcrumbList" class="breadcrumbs-container"><li><a href="/docs/Web">References</a></li><li><a href="/docs/Web/API">Web APIs</a></li><li><a href="#">{esc(h1)}</a></li></ol></nav></div>'
         f'<div class="main-wrapper"><div class="sidebar-container"><aside class="sidebar"><div class="sidebar-inner"><ol><li><strong>Methods</strong><ol>{api}</ol></li></ol></div></aside>'
         f'<aside class="toc"><nav><h2>In this article</h2><ul>' + "".join(f'<li class="document-toc-item"><a href="#s{i}">{k}</a></li>' for i, k in enumerate(["Syntax", "Examples", "Specifications"])) + '</ul></nav></aside></div>'
         f'<main id="content" class="main-content"><article class="main-page-content" lang="{lang}"><header><h1>{esc(h1)}</h1></header>'
         f'<div class="section-content"><p>{esc(lede)}</p></div>{"".join(secs)}'
         f'<aside class="metadata"><div class="metadata-content-container"><div id="on-github" class="on-github"><h3>Found a content problem with this page?</h3><ul><li><a href="/edit">Edit the page on GitHub</a>.</li><li><a href="/issues">Report the content issue</a>.</li></ul></div>'
         f'<p class="last-modified-date">This page was last modified on <time datetime="2024-03-02">Mar 2, 2024</time> by <a href="/contributors">contributors</a>.</p></div></aside></article></main></div>'
         f'<footer id="nav-footer" class="page-footer"><div class="page-footer-nav"><a href="/about">About</a><a href="/blog">Blog</a><a href="/careers">Careers</a><a href="/advertise">Advertise with us</a></div>'
         f'<p>Portions of this content are licensed under CC-BY-SA 2.5.</p></footer></div></body></html>')
    return page, truth, h1


def shape_discourse(rng, lang):
    """A Discourse topic as crawlers get it: `#main-outlet[role=main]` holding the title and
    every post as `div.topic-body.crawler-post` with schema.org microdata (author, date,
    position, likes); the posts are the content, a topic list and footer follow."""
    t = text_for(rng, lang)
    h1 = t.headline() + ("?" if lang != "ja" else "？")
    truth = [h1]
    posts = []
    for i in range(rng.randint(4, 11)):
        paras = [t.paragraph(1, 3) for _ in range(rng.randint(1, 3))]
        truth.extend(paras)
        name = rng.choice(NAMES).split()[0].lower() + str(rng.randint(1, 99))
        quote = ""
        posts.append(f'<div id="post_{i + 1}" itemprop="{"comment" if i else "mainEntity"}" itemscope itemtype="http://schema.org/{"Comment" if i else "DiscussionForumPosting"}" class="topic-body crawler-post">'
                     f'<div class="crawler-post-meta"><span class="creator" itemprop="author" itemscope itemtype="http://schema.org/Person"><a itemprop="url" href="/u/{name}"><span itemprop="name">{name}</span></a></span>'
                     f'<link itemprop="mainEntityOfPage" href="/t/topic/123"><span class="crawler-post-infos"><time itemprop="datePublished" datetime="2024-03-0{i % 9 + 1}T10:00:00Z" class="post-time">March {i % 9 + 1}, 2024, 10:00am</time>'
                     f'<meta itemprop="position" content="{i + 1}"></span></div>'
                     f'<div class="post" itemprop="text">{quote}' + "".join(f"<p>{esc(p)}</p>" for p in paras) + '</div>'
                     f'<div itemprop="interactionStatistic" itemscope itemtype="http://schema.org/InteractionCounter"><meta itemprop="interactionType" content="http://schema.org/LikeAction"><meta itemprop="userInteractionCount" content="{rng.randint(0, 9)}"><span class="post-likes">{rng.randint(1, 9)} Likes</span></div></div>')
    topics = "".join(f'<tr><td><a href="/t/{k}" class="title raw-link raw-topic-link">{esc(t.headline())}</a></td><td>{rng.randint(1, 40)}</td><td>{rng.randint(10, 900)}</td></tr>' for k in range(5))
    page = head(f"{h1} - Support - Community", lang, "", h1, "Community") + \
        (f'<body><header class="d-header"><div class="wrap"><div class="contents"><div class="home-logo-wrapper-outlet"><a href="/"><img src="/logo.png" alt="Community" id="site-logo"></a></div></div></div></header>'
         f'<div id="main-outlet" class="wrap" role="main"><div id="topic-title"><h1><a href="/t/topic/123">{esc(h1)}</a></h1>'
         f'<div class="topic-category" itemscope itemtype="http://schema.org/BreadcrumbList"><span itemprop="itemListElement"><a href="/c/support/5" class="badge-wrapper bullet"><span class="badge-category-bg"></span><span class="badge-category clear-badge"><span class="category-name" itemprop="name">Support</span></span></a></span></div>'
         f'<div class="topic-tags"><a href="/tag/config" class="discourse-tag">config</a> <a href="/tag/help" class="discourse-tag">help</a></div></div>'
         f'{"".join(posts)}'
         f'<div id="related-topics" class="more-topics__list" role="complementary"><h3 id="related-topics-title" class="more-topics__list-title">Related topics</h3>'
         f'<div class="topic-list-container"><table class="topic-list"><thead><tr><th>Topic</th><th>Replies</th><th>Views</th></tr></thead><tbody>{topics}</tbody></table></div></div></div>'
         f'<footer class="container wrap"><nav class="crawler-nav"><ul><li itemscope itemtype="http://schema.org/SiteNavigationElement"><span itemprop="name"><a href="/" itemprop="url">Home </a></span></li>'
         f'<li><span itemprop="name"><a href="/categories" itemprop="url">Categories </a></span></li><li><span itemprop="name"><a href="/guidelines" itemprop="url">Guidelines </a></span></li></ul></nav></footer>'
         f'<div id="noscript-footer"><p>Powered by <a href="https://www.discourse.org">Discourse</a>, best viewed with JavaScript enabled</p></div></body></html>')
    return page, truth, h1


def shape_xenforo(rng, lang):
    """A XenForo thread: `article.message--post` blocks with a user cell (avatar, name, title,
    join date, message count) and a main cell (date, `.bbWrapper` text, reactions bar,
    footer actions); the first post is not much longer than the replies."""
    t = text_for(rng, lang)
    h1 = t.headline()
    truth = [h1]
    msgs = []
    for i in range(rng.randint(4, 9)):
        paras = [t.paragraph(1, 3) for _ in range(rng.randint(1, 2))]
        truth.extend(paras)
        name = rng.choice(NAMES)
        quote = ""
        if i > 1 and rng.random() < 0.3:
            q = t.sentence()
            quote = (f'<blockquote class="bbCodeBlock bbCodeBlock--expandable bbCodeBlock--quote"><div class="bbCodeBlock-title">{esc(rng.choice(NAMES))} said:</div>'
                     f'<div class="bbCodeBlock-content"><div class="bbCodeBlock-expandContent">{esc(q)}</div></div></blockquote>')
            truth.append(q)
        msgs.append(f'<article class="message message--post js-post js-inlineModContainer" data-author="{esc(name)}" data-content="post-{i}" id="js-post-{i}">'
                    f'<span class="u-anchorTarget" id="post-{i}"></span><div class="message-inner"><div class="message-cell message-cell--user">'
                    f'<section class="message-user"><div class="message-avatar"><div class="message-avatar-wrapper"><a href="/members/{i}/" class="avatar avatar--m"><img src="/a/{i}.jpg" alt="{esc(name)}"></a></div></div>'
                    f'<div class="message-userDetails"><h4 class="message-name"><a href="/members/{i}/" class="username">{esc(name)}</a></h4><h5 class="userTitle message-userTitle">Well-known member</h5></div>'
                    f'<div class="message-userExtras"><dl class="pairs pairs--justified"><dt>Joined</dt><dd>Jan {rng.randint(1, 28)}, 2019</dd></dl><dl class="pairs pairs--justified"><dt>Messages</dt><dd>{rng.randint(10, 9000):,}</dd></dl></div></section></div>'
                    f'<div class="message-cell message-cell--main"><div class="message-main js-quickEditTarget"><header class="message-attribution message-attribution--split">'
                    f'<ul class="message-attribution-main listInline"><li class="u-concealed"><a href="/threads/x.1/post-{i}" rel="nofollow"><time class="u-dt" datetime="2024-03-05T10:00:00+0000">Mar 5, 2024</time></a></li></ul>'
                    f'<ul class="message-attribution-opposite listInline"><li><a href="/threads/x.1/post-{i}" class="message-attribution-gadget">#{i + 1}</a></li></ul></header>'
                    f'<div class="message-content js-messageContent"><div class="message-userContent lbContainer js-lbContainer"><article class="message-body js-selectToQuote"><div class="bbWrapper">{quote}'
                    + "<br><br>".join(esc(p) for p in paras) + '</div><div class="js-selectToQuoteEnd">&nbsp;</div></article></div></div>'
                    f'<footer class="message-footer"><div class="message-actionBar actionBar"><div class="actionBar-set actionBar-set--external"><a href="/react" class="reaction actionBar-action">Like</a>'
                    f'<a href="/quote" class="actionBar-action actionBar-action--mq">+Quote</a><a href="/reply" class="actionBar-action actionBar-action--reply">Reply</a></div></div>'
                    f'<div class="reactionsBar js-reactionsList is-active"><a class="reactionsBar-link" href="/reactions">{esc(rng.choice(NAMES))} and {rng.randint(1, 9)} others</a></div></footer></div></div></div></article>')
    page = head(f"{h1} | Hobby Forums", lang, "", h1, "Hobby Forums") + \
        (f'<body data-template="thread_view"><div class="p-pageWrapper" id="top"><header class="p-header" id="header"><div class="p-header-inner"><div class="p-header-content"><div class="p-header-logo p-header-logo--image"><a href="/"><img src="/logo.png" alt="Hobby Forums"></a></div></div></div></header>'
         f'<div class="p-navSticky p-navSticky--primary"><nav class="p-nav"><div class="p-nav-inner"><div class="p-nav-scroller"><ul class="p-nav-list">' + "".join(f'<li><div class="p-navEl"><a href="/{x.lower()}/" class="p-navEl-link">{x}</a></div></li>' for x in ["Forums", "What's new", "Media", "Members"]) + '</ul></div></div></nav></div>'
         f'<div class="p-body"><div class="p-body-inner"><div class="p-breadcrumbs"><ul class="p-breadcrumbs"><li><a href="/"><span>Home</span></a></li><li><a href="/forums/"><span>Forums</span></a></li><li><a href="/forums/general.2/"><span>General</span></a></li></ul></div>'
         f'<div class="p-body-header"><div class="p-title"><h1 class="p-title-value">{esc(h1)}</h1></div><div class="p-description"><ul class="listInline listInline--bullet"><li>Thread starter <a href="/members/0/" class="username u-concealed">{esc(rng.choice(NAMES))}</a></li><li>Start date <time>Mar 5, 2024</time></li></ul></div></div>'
         f'<div class="p-body-main"><div class="p-body-content"><div class="p-body-pageContent"><div class="block block--messages"><div class="block-outer"><div class="pageNav"><ul class="pageNav-main"><li class="pageNav-page pageNav-page--current"><a href="/p1">1</a></li><li class="pageNav-page"><a href="/p2">2</a></li></ul><a href="/p2" class="pageNav-jump pageNav-jump--next">Next</a></div></div>'
         f'<div class="block-container lbContainer"><div class="block-body js-replyNewMessageContainer">{"".join(msgs)}</div></div></div>'
         f'<div class="block"><div class="block-container"><h3 class="block-minorHeader">Similar threads</h3><ul class="block-body">' + "".join(f'<li class="block-row"><a href="/threads/{k}/">{esc(t.headline())}</a></li>' for k in range(4)) + '</ul></div></div>'
         f'</div></div></div></div></div><footer class="p-footer" id="footer"><div class="p-footer-inner"><ul class="p-footer-linkList"><li><a href="/contact">Contact us</a></li><li><a href="/terms">Terms and rules</a></li><li><a href="/privacy">Privacy policy</a></li></ul>'
         f'<div class="p-footer-copyright">Community platform by XenForo&reg; &copy; 2010-2024</div></div></footer></div></body></html>')
    return page, truth, h1


def shape_shopify(rng, lang):
    """A Shopify (Dawn theme) product page: announcement bar, header, media gallery, price,
    variant picker and buy buttons, `.product__description.rte`, collapsible `<details>` tabs
    of materials and care, then recommendations and a newsletter footer."""
    t = text_for(rng, lang)
    name = rng.choice(["Waxed Canvas Tote", "Stoneware Mug Set", "Wool Beanie", "Walnut Serving Board",
                       "Linen Apron", "Enamel Camp Plate", "Leather Card Holder", "Recycled Fleece Vest"])
    truth = [name]
    desc = [t.paragraph(1, 3) for _ in range(rng.randint(1, 3))]
    feats = [t.sentence() for _ in range(rng.randint(3, 5))]
    truth.extend(desc)
    truth.extend(feats)
    care = t.sentence()
    truth.extend(["Materials and care", care])
    recs = "".join(f'<li class="grid__item"><div class="card-wrapper product-card-wrapper"><div class="card__content"><h3 class="card__heading"><a href="/products/{k}" class="full-unstyled-link">Product {k}</a></h3>'
                   f'<div class="price"><span class="price-item price-item--regular">${rng.randint(10, 90)}.00</span></div></div></div></li>' for k in range(4))
    page = head(f"{name} – Maker Goods", lang, desc[0][:150], name, "Maker Goods") + \
        (f'<body class="gradient"><a class="skip-to-content-link button visually-hidden" href="#MainContent">Skip to content</a>'
         f'<div class="shopify-section shopify-section-group-header-group announcement-bar-section"><div class="announcement-bar color-accent-1" role="region" aria-label="Announcement"><p class="announcement-bar__message h5">Free shipping on orders over $75</p></div></div>'
         f'<div class="section-header shopify-section shopify-section-group-header-group"><sticky-header class="header-wrapper"><header class="header header--middle-left"><a href="/" class="header__heading-link"><span class="h2">Maker Goods</span></a>'
         f'<nav class="header__inline-menu"><ul class="list-menu list-menu--inline" role="list"><li><a href="/collections/all" class="header__menu-item list-menu__item link">Shop all</a></li><li><a href="/pages/about" class="header__menu-item list-menu__item link">About</a></li><li><a href="/pages/contact" class="header__menu-item list-menu__item link">Contact</a></li></ul></nav>'
         f'<div class="header__icons"><a href="/account/login" class="header__icon header__icon--account link">Log in</a><a href="/cart" class="header__icon header__icon--cart link" id="cart-icon-bubble">Cart</a></div></header></sticky-header></div>'
         f'<main id="MainContent" class="content-for-layout focus-none" role="main" tabindex="-1"><section id="shopify-section-template--main" class="shopify-section section"><section class="page-width section-template--main-padding">'
         f'<div class="product product--large product--left grid grid--1-col grid--2-col-tablet"><div class="grid__item product__media-wrapper"><media-gallery class="product__media-gallery"><ul class="product__media-list"><li class="product__media-item"><img src="/m/{rng.randint(1, 99)}.jpg" alt="{esc(name)}"></li></ul></media-gallery></div>'
         f'<div class="product__info-wrapper grid__item"><section class="product__info-container"><p class="product__text inline-richtext caption-with-letter-spacing">Maker Goods</p>'
         f'<div class="product__title"><h1>{esc(name)}</h1></div><div class="no-js-hidden" id="price-main" role="status"><div class="price price--large price--show-badge"><div class="price__container"><div class="price__regular"><span class="visually-hidden visually-hidden--inline">Regular price</span><span class="price-item price-item--regular">${rng.randint(20, 200)}.00 USD</span></div></div></div></div>'
         f'<div class="product__tax caption rte">Tax included. <a href="/policies/shipping-policy">Shipping</a> calculated at checkout.</div>'
         f'<variant-radios class="no-js-hidden"><fieldset class="js product-form__input"><legend class="form__label">Color</legend><input type="radio" name="Color" value="Olive"><label>Olive</label><input type="radio" name="Color" value="Sand"><label>Sand</label></fieldset></variant-radios>'
         f'<div><product-form class="product-form"><form method="post" action="/cart/add" class="form" enctype="multipart/form-data"><div class="product-form__buttons"><button type="submit" name="add" class="product-form__submit button button--full-width button--secondary"><span>Add to cart</span></button></div></form></product-form></div>'
         f'<div class="product__description rte quick-add-hidden">' + "".join(f"<p>{esc(p)}</p>" for p in desc) + "<ul>" + "".join(f"<li>{esc(f)}</li>" for f in feats) + '</ul></div>'
         f'<div class="product__accordion accordion quick-add-hidden"><details id="Details-collapsible"><summary><div class="summary__title"><h2 class="h4 accordion__title inline-richtext">Materials and care</h2></div></summary>'
         f'<div class="accordion__content rte" id="ProductAccordion-collapsible"><p>{esc(care)}</p></div></details></div>'
         f'<share-button class="share-button quick-add-hidden"><button class="share-button__button hidden"><span>Share</span></button></share-button></section></div></div></section></section>'
         f'<div class="shopify-section"><product-recommendations class="related-products page-width section-recommendations"><h2 class="related-products__heading inline-richtext h2">You may also like</h2><ul class="grid product-grid" role="list">{recs}</ul></product-recommendations></div></main>'
         f'<footer class="footer color-background-1 gradient section-sections--footer-padding"><div class="footer__content-top page-width"><div class="footer-block__newsletter"><h2 class="footer-block__heading inline-richtext">Subscribe to our emails</h2>'
         f'<form method="post" action="/contact#contact_form" class="footer__newsletter newsletter-form"><input type="email" name="contact[email]" placeholder="Email"><button type="submit" class="newsletter-form__button field__button">Subscribe</button></form></div></div>'
         f'<div class="footer__content-bottom"><div class="footer__copyright caption"><small class="copyright__content">&copy; 2024, Maker Goods</small><small class="copyright__content"><a href="https://www.shopify.com">Powered by Shopify</a></small></div></div></footer></body></html>')
    return page, truth, name


def shape_woocommerce(rng, lang):
    """A WooCommerce product in the Storefront theme: `div.product.type-product`, gallery,
    `.summary.entry-summary` (title, price, short description, add-to-cart form, product
    meta with SKU and categories), `.woocommerce-tabs` with the description and additional
    information panels, reviews tab, related and upsell products."""
    t = text_for(rng, lang)
    name = rng.choice(["Hand-Thrown Vase", "Beeswax Candle Trio", "Organic Cotton Throw", "Brass Desk Bell",
                       "Herb Drying Rack", "Cork Yoga Block"])
    truth = [name]
    short = t.paragraph(1, 2)
    desc = [t.paragraph(2, 4) for _ in range(rng.randint(2, 3))]
    attrs = [("Weight", f"{rng.randint(1, 9)}.{rng.randint(0, 9)} kg"), ("Dimensions", f"{rng.randint(5, 40)} × {rng.randint(5, 40)} × {rng.randint(5, 40)} cm"),
             ("Colour", rng.choice(["Natural", "Ochre", "Slate"]))]
    truth.append(short)
    truth.append("Description")
    truth.extend(desc)
    truth.append("Additional information")
    truth.extend(f"{k} {v}" for k, v in attrs)
    reviews = "".join(f'<li class="review even thread-even depth-1" id="li-comment-{k}"><div id="comment-{k}" class="comment_container"><img alt="" src="/avatar.png" class="avatar avatar-60 photo">'
                      f'<div class="comment-text"><div class="star-rating" role="img" aria-label="Rated 4 out of 5"><span style="width:80%">Rated <strong class="rating">4</strong> out of 5</span></div>'
                      f'<p class="meta"><strong class="woocommerce-review__author">{esc(rng.choice(NAMES))}</strong> <span class="woocommerce-review__dash">&ndash;</span> <time class="woocommerce-review__published-date">March {k + 1}, 2024</time></p>'
                      f'<div class="description"><p>{esc(rng.choice(SHOP_LINES))}</p></div></div></div></li>' for k in range(rng.randint(2, 6)))
    related_items = "".join(f'<li class="product type-product"><a href="/product/{k}/" class="woocommerce-LoopProduct-link woocommerce-loop-product__link"><img src="/p/{k}.jpg" alt=""><h2 class="woocommerce-loop-product__title">Item {k}</h2>'
                            f'<span class="price"><span class="woocommerce-Price-amount amount">&euro;{rng.randint(5, 80)}.00</span></span></a><a href="?add-to-cart={k}" class="button product_type_simple add_to_cart_button">Add to cart</a></li>' for k in range(4))
    page = head(f"{name} – Studio Shop", lang, short[:150], name, "Studio Shop") + \
        (f'<body class="product-template-default single single-product postid-{rng.randint(10, 999)} theme-storefront woocommerce woocommerce-page storefront-align-wide right-sidebar woocommerce-active">'
         f'<div id="page" class="hfeed site"><header id="masthead" class="site-header" role="banner"><div class="col-full"><a class="skip-link screen-reader-text" href="#site-navigation">Skip to navigation</a>'
         f'<div class="site-branding"><p class="site-title"><a href="/" rel="home">Studio Shop</a></p></div><div class="site-search"><div class="widget woocommerce widget_product_search"><form role="search" method="get" class="woocommerce-product-search" action="/"><input type="search" name="s"><button type="submit" value="Search">Search</button></form></div></div></div>'
         f'<div class="storefront-primary-navigation"><div class="col-full"><nav id="site-navigation" class="main-navigation" role="navigation"><div class="primary-navigation"><ul class="menu"><li><a href="/shop/">Shop</a></li><li><a href="/about/">About</a></li><li><a href="/journal/">Journal</a></li></ul></div></nav>'
         f'<ul id="site-header-cart" class="site-header-cart menu"><li><a class="cart-contents" href="/cart/"><span class="woocommerce-Price-amount amount">&euro;0.00</span> <span class="count">0 items</span></a></li></ul></div></div></header>'
         f'<div class="storefront-breadcrumb"><div class="col-full"><nav class="woocommerce-breadcrumb" aria-label="breadcrumbs"><a href="/">Home</a><span class="breadcrumb-separator"> / </span><a href="/category/home/">Home goods</a><span class="breadcrumb-separator"> / </span>{esc(name)}</nav></div></div>'
         f'<div id="content" class="site-content" tabindex="-1"><div class="col-full"><div class="woocommerce"></div><div id="primary" class="content-area"><main id="main" class="site-main" role="main">'
         f'<div class="woocommerce-notices-wrapper"></div><div id="product-{rng.randint(10, 999)}" class="product type-product status-publish first instock product_cat-home has-post-thumbnail shipping-taxable purchasable product-type-simple">'
         f'<div class="woocommerce-product-gallery woocommerce-product-gallery--with-images images"><div class="woocommerce-product-gallery__wrapper"><div class="woocommerce-product-gallery__image"><a href="/i/1.jpg"><img src="/i/1.jpg" alt=""></a></div></div></div>'
         f'<div class="summary entry-summary"><h1 class="product_title entry-title">{esc(name)}</h1><p class="price"><span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-currencySymbol">&euro;</span>{rng.randint(10, 150)}.00</bdi></span></p>'
         f'<div class="woocommerce-product-details__short-description"><p>{esc(short)}</p></div><p class="stock in-stock">{rng.randint(2, 40)} in stock</p>'
         f'<form class="cart" action="" method="post" enctype="multipart/form-data"><div class="quantity"><label class="screen-reader-text" for="quantity">Quantity</label><input type="number" id="quantity" class="input-text qty text" name="quantity" value="1"></div><button type="submit" name="add-to-cart" class="single_add_to_cart_button button alt">Add to cart</button></form>'
         f'<div class="product_meta"><span class="sku_wrapper">SKU: <span class="sku">SK-{rng.randint(100, 999)}</span></span><span class="posted_in">Category: <a href="/category/home/" rel="tag">Home goods</a></span></div></div>'
         f'<div class="woocommerce-tabs wc-tabs-wrapper"><ul class="tabs wc-tabs" role="tablist"><li class="description_tab active" id="tab-title-description" role="tab"><a href="#tab-description">Description</a></li>'
         f'<li class="additional_information_tab" role="tab"><a href="#tab-additional_information">Additional information</a></li><li class="reviews_tab" role="tab"><a href="#tab-reviews">Reviews (3)</a></li></ul>'
         f'<div class="woocommerce-Tabs-panel woocommerce-Tabs-panel--description panel entry-content wc-tab" id="tab-description" role="tabpanel"><h2>Description</h2>' + "".join(f"<p>{esc(p)}</p>" for p in desc) + '</div>'
         f'<div class="woocommerce-Tabs-panel woocommerce-Tabs-panel--additional_information panel entry-content wc-tab" id="tab-additional_information" role="tabpanel"><h2>Additional information</h2>'
         f'<table class="woocommerce-product-attributes shop_attributes">' + "".join(f'<tr class="woocommerce-product-attributes-item"><th class="woocommerce-product-attributes-item__label">{k}</th><td class="woocommerce-product-attributes-item__value"><p>{v}</p></td></tr>' for k, v in attrs) + '</table></div>'
         f'<div class="woocommerce-Tabs-panel woocommerce-Tabs-panel--reviews panel entry-content wc-tab" id="tab-reviews" role="tabpanel"><div id="reviews" class="woocommerce-Reviews"><div id="comments"><h2 class="woocommerce-Reviews-title">Reviews</h2><ol class="commentlist">{reviews}</ol></div>'
         f'<div id="review_form_wrapper"><div id="review_form"><div id="respond" class="comment-respond"><span id="reply-title" class="comment-reply-title">Add a review</span><form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form"><textarea id="comment" name="comment"></textarea><input name="submit" type="submit" id="submit" class="submit" value="Submit"></form></div></div></div></div></div></div>'
         f'<section class="related products"><h2>Related products</h2><ul class="products columns-3">{related_items}</ul></section></div></main></div>'
         f'<div id="secondary" class="widget-area" role="complementary"><div class="widget woocommerce widget_product_categories"><span class="gamma widget-title">Product categories</span><ul class="product-categories"><li><a href="/c/1">Home goods</a></li><li><a href="/c/2">Kitchen</a></li></ul></div></div></div></div>'
         f'<footer id="colophon" class="site-footer" role="contentinfo"><div class="col-full"><div class="site-info">&copy; Studio Shop 2024<br><a href="https://woocommerce.com" target="_blank" title="WooCommerce">Built with WooCommerce</a>.</div></div></footer></div></body></html>')
    return page, truth, name


def shape_frontpage(rng, lang):
    """A news front page: a lead story with its standfirst, then section rows of teasers (each
    a headline link and a line of summary), a 'most read' list and a video strip; the
    teasers' headlines and summaries are what a reader reads."""
    t = text_for(rng, lang)
    site = rng.choice(SITES)
    truth = []
    lead_h, lead_s = t.headline(), t.paragraph(1, 2)
    truth.extend([lead_h, lead_s])
    rows = []
    for sec in rng.sample(["Politics", "World", "Business", "Science", "Culture", "Sport"], rng.randint(2, 4)):
        cards = []
        truth.append(sec)
        for k in range(rng.randint(3, 5)):
            h, s = t.headline(), t.sentence()
            truth.extend([h, s])
            cards.append(f'<li class="fc-slice__item"><div class="fc-item fc-item--standard-tablet"><div class="fc-item__container"><div class="fc-item__media-wrapper"><img src="/f/{k}.jpg" alt=""></div>'
                         f'<div class="fc-item__content"><div class="fc-item__header"><h3 class="fc-item__title"><a href="/{sec.lower()}/{k}" class="fc-item__link"><span class="fc-item__kicker">{esc(sec)}</span> <span class="u-faux-block-link__cta fc-item__headline"><span class="js-headline-text">{esc(h)}</span></span></a></h3></div>'
                         f'<div class="fc-item__standfirst-wrapper"><div class="fc-item__standfirst">{esc(s)}</div></div><aside class="fc-item__meta js-item__meta"><time class="fc-item__timestamp" datetime="2024-03-05">{rng.randint(1, 23)}h ago</time></aside></div></div></div></li>')
        rows.append(f'<section id="{sec.lower()}" class="fc-container fc-container--tagged"><div class="fc-container__inner"><div class="fc-container__header js-container__header"><h2 class="fc-container__header__title"><a href="/{sec.lower()}">{esc(sec)}</a></h2></div>'
                    f'<div class="fc-container--rolled-up-hide fc-container__body"><div class="fc-slice-wrapper"><ul class="u-unstyled l-row l-row--cols-4 fc-slice fc-slice--q-q-q-q">{"".join(cards)}</ul></div></div></div></section>')
    most = "".join(f'<li class="most-popular__item"><span class="most-popular__number">{k + 1}</span><a href="/mp/{k}">{esc(t.headline())}</a></li>' for k in range(5))
    page = head(f"News, sport and opinion from {site}", lang, t.sentence(), None) + \
        (f'<body><div id="bannerandheader"><div class="top-banner-ad-container js-top-banner"><div class="ad-slot ad-slot--top-above-nav" data-link-name="ad slot top-above-nav">Advertisement</div></div>'
         f'<header role="banner" class="new-header"><a class="new-header__logo" href="/"><span class="u-h">{esc(site)}</span></a><nav class="pillars"><ul class="pillars__list">' + "".join(f'<li class="pillars__item"><a class="pillar-link" href="/{x.lower()}">{x}</a></li>' for x in ["News", "Opinion", "Sport", "Culture", "Lifestyle"]) + '</ul></nav></header></div>'
         f'<main id="maincontent" tabindex="0"><div class="facia-page"><section id="headlines" class="fc-container fc-container--first"><div class="fc-container__inner"><div class="fc-container__header"><h2 class="fc-container__header__title"><span>Headlines</span></h2></div>'
         f'<div class="fc-slice-wrapper"><div class="fc-item fc-item--full-media-75-tablet"><div class="fc-item__content"><h3 class="fc-item__title"><a href="/lead" class="fc-item__link"><span class="js-headline-text">{esc(lead_h)}</span></a></h3>'
         f'<div class="fc-item__standfirst">{esc(lead_s)}</div></div></div></div></div></section>{"".join(rows)}'
         f'<section id="most-viewed" class="fc-container fc-container--most-popular"><h2 class="fc-container__header__title">Most viewed</h2><ol class="most-popular__list">{most}</ol></section></div></main>'
         f'<footer class="l-footer"><div class="l-footer__secondary"><ul class="colophon">' + "".join(f'<li class="colophon__item"><a href="/{x.lower()}">{x}</a></li>' for x in ["About us", "Contact us", "Complaints", "Privacy policy", "Cookie policy"]) + f'</ul>'
         f'<div class="really-serious-copyright">&copy; 2024 {esc(site)}. All rights reserved.</div></div></footer></body></html>')
    return page, truth, lead_h


def shape_nosemantic(rng, lang):
    """An old hand-made site: table layout, `<font>` and `<center>`, a left column of links,
    the article in a `<td>` as paragraphs and bare text with `<br>`, a hit counter and a
    'last updated' line; not one semantic tag, class or id."""
    t = text_for(rng, lang)
    h1 = t.headline()
    truth = [h1]
    paras = []
    for k in range(rng.randint(4, 8)):
        p = t.paragraph(2, 4)
        truth.append(p)
        if rng.random() < 0.5:
            paras.append(f"<p>{esc(p)}</p>")
        else:
            paras.append(f"{esc(p)}<br><br>")
    links = "<br>".join(f'<a href="/{k}.html"><font size="2">{esc(t.short(2))}</font></a>' for k in range(8))
    page = head(f"{h1}", lang, "", None) + \
        (f'<body bgcolor="#ffffee" text="#000000" link="#0000cc"><center><table width="760" border="0" cellpadding="4" cellspacing="0">'
         f'<tr><td colspan="2" bgcolor="#336699"><font color="#ffffff" size="5"><b>{esc(rng.choice(SITES))}</b></font></td></tr>'
         f'<tr><td width="160" valign="top" bgcolor="#eeeeee"><font size="2"><b>Menu</b></font><br>{links}<br><br><img src="/counter.gif" alt=""><br><font size="1">Visitors: {rng.randint(1000, 99999)}</font></td>'
         f'<td valign="top"><font face="Verdana, Arial" size="2"><b><font size="4">{esc(h1)}</font></b><br><br>{"".join(paras)}'
         f'<hr><font size="1"><a href="/">Home</a> | <a href="mailto:webmaster@example.com">Webmaster</a> | Last updated 12/03/2009</font></font></td></tr></table></center></body></html>')
    return page, truth, h1


def shape_aspnet_master(rng, lang):
    """An ASP.NET WebForms page built on a master page: one `<form id="aspnetForm">` around
    everything, `__VIEWSTATE` and event-validation inputs, `ctl00_…` ids everywhere, a menu
    rendered as tables, the article in a `ContentPlaceHolder` panel and a `<span>` lead."""
    t = text_for(rng, lang)
    h1 = t.headline()
    truth = [h1]
    lead = t.paragraph(1, 2)
    truth.append(lead)
    body_html, body_truth = plain_body(rng, t, 4, 8)
    truth.extend(body_truth)
    menu = "".join(f'<tr id="ctl00_Menu1n{k}"><td><table cellpadding="0" cellspacing="0" border="0" width="100%"><tr><td style="white-space:nowrap;width:100%;"><a class="ctl00_Menu1_1" href="/Section.aspx?id={k}">{esc(t.short(2))}</a></td></tr></table></td></tr>' for k in range(7))
    page = head(f"{h1} - Municipality portal", lang, "", None) + \
        (f'<body><form method="post" action="./Article.aspx?id={rng.randint(100, 9999)}" id="aspnetForm"><div class="aspNetHidden"><input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKMTY1NDU2MTA1MmRk{rng.randint(10**8, 10**9)}"></div>'
         f'<script type="text/javascript">var theForm = document.forms["aspnetForm"];</script>'
         f'<div id="ctl00_pnlHeader" class="header"><a id="ctl00_hlLogo" href="/Default.aspx"><img src="/img/logo.gif" alt="Portal"></a><div id="ctl00_pnlSearch"><input name="ctl00$txtSearch" type="text" id="ctl00_txtSearch"><input type="submit" name="ctl00$btnSearch" value="Search" id="ctl00_btnSearch"></div></div>'
         f'<table width="100%" cellpadding="0" cellspacing="0"><tr><td valign="top" width="200" id="ctl00_tdLeft"><table id="ctl00_Menu1" class="ctl00_Menu1_2" cellpadding="0" cellspacing="0" border="0">{menu}</table></td>'
         f'<td valign="top" id="ctl00_tdMain"><div id="ctl00_ContentPlaceHolder1_pnlArticle"><span id="ctl00_ContentPlaceHolder1_lblDate" class="date">05.03.2024</span>'
         f'<h1><span id="ctl00_ContentPlaceHolder1_lblTitle">{esc(h1)}</span></h1><span id="ctl00_ContentPlaceHolder1_lblLead" class="lead">{esc(lead)}</span>'
         f'<div id="ctl00_ContentPlaceHolder1_divBody">{body_html}</div>'
         f'<a id="ctl00_ContentPlaceHolder1_hlPrint" href="javascript:window.print()">Print</a> | <a id="ctl00_ContentPlaceHolder1_hlBack" href="javascript:history.back()">Back</a></div></td></tr></table>'
         f'<div id="ctl00_pnlFooter" class="footer">&copy; 2024 Municipality | <a href="/Accessibility.aspx">Accessibility</a> | <a href="/Sitemap.aspx">Sitemap</a></div>'
         f'<div class="aspNetHidden"><input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" value="/wEdAAV{rng.randint(10**8, 10**9)}"></div></form></body></html>')
    return page, truth, h1


def shape_wp_adtheme(rng, lang):
    """WordPress magazine themes (Newspaper, JNews, GeneratePress) whose wrappers carry ad
    words: `has-ads` body classes, an `ad-enabled` site wrapper, a post in the category
    'advertising-marketing' tagged 'ads', `td-ss-main-content`, in-content ad slots and a
    sticky ad rail; the article is the whole post, byline and share icons aside."""
    t = text_for(rng, lang)
    h1 = t.headline()
    truth = [h1]
    body, btruth = [], []
    for k in range(rng.randint(5, 9)):
        p = t.paragraph()
        body.append(f"<p>{esc(p)}</p>")
        btruth.append(p)
        if k == 1:
            body.append('<div class="code-block code-block-2 ai-track" style="margin: 8px auto; text-align: center;"><div class="td-a-rec td-a-rec-id-content_inline"><span class="td-adspot-title">- Advertisement -</span><ins class="adsbygoogle"></ins></div></div>')
    truth.extend(btruth)
    style = rng.randint(0, 2)
    cat = rng.choice(["advertising-marketing", "ad-tech", "advertising"])
    if style == 0:
        inner = (f'<div class="td-main-content-wrap td-container-wrap"><div class="td-container td-post-template-default"><div class="td-crumb-container"><div class="entry-crumbs"><span><a href="/" class="entry-crumb">Home</a></span> <i class="td-icon-right td-bread-sep"></i> <span><a href="/category/{cat}/" class="entry-crumb">Marketing</a></span></div></div>'
                 f'<div class="td-pb-row"><div class="td-pb-span8 td-main-content" role="main"><div class="td-ss-main-content"><article id="post-{rng.randint(100, 9999)}" class="post-{rng.randint(100, 9999)} post type-post status-publish format-standard has-post-thumbnail category-{cat} tag-ads" itemscope itemtype="https://schema.org/Article">'
                 f'<div class="td-post-header"><ul class="td-category"><li class="entry-category"><a href="/category/{cat}/">Marketing</a></li></ul><header class="td-post-title"><h1 class="entry-title">{esc(h1)}</h1>'
                 f'<div class="td-module-meta-info"><div class="td-post-author-name"><div class="td-author-by">By</div> <a href="/author/x/">{esc(rng.choice(NAMES))}</a></div><span class="td-post-date"><time class="entry-date updated td-module-date" datetime="2024-03-05">March 5, 2024</time></span></div></header></div>'
                 f'<div class="td-post-sharing-top"><div class="td-default-sharing"><a class="td-social-sharing-buttons td-social-facebook" href="https://share.example/fb"><span class="td-social-but-text">Facebook</span></a><a class="td-social-sharing-buttons td-social-twitter" href="https://share.example/tw"><span class="td-social-but-text">Twitter</span></a></div></div>'
                 f'<div class="td-post-content tagdiv-type">{"".join(body)}</div>'
                 f'<footer><div class="td-post-source-tags"><ul class="td-tags td-post-small-box clearfix"><li><span>TAGS</span></li><li><a href="/tag/ads/">ads</a></li><li><a href="/tag/media/">media</a></li></ul></div>'
                 f'<div class="td-block-row td-post-next-prev"><div class="td-block-span6 td-post-prev-post"><div class="td-post-next-prev-content"><span>Previous article</span><a href="/p">{esc(t.headline())}</a></div></div></div></footer></article></div></div>'
                 f'<div class="td-pb-span4 td-main-sidebar" role="complementary"><div class="td-ss-main-sidebar"><div class="td-a-rec td-a-rec-id-sidebar"><span class="td-adspot-title">- Advertisement -</span></div><div class="td_block_wrap td_block_popular"><h4 class="block-title"><span>Popular</span></h4>'
                 + "".join(f'<div class="td_module_6"><h3 class="entry-title td-module-title"><a href="/x{k}">{esc(t.headline())}</a></h3></div>' for k in range(4)) + '</div></div></div></div></div></div>')
        wrap = f'<div id="td-outer-wrap" class="td-theme-wrap td-ad-background-link">{inner}</div>'
    elif style == 1:
        inner = (f'<div class="site grid-container container hfeed" id="page"><div class="site-content" id="content"><div class="content-area" id="primary"><main class="site-main" id="main">'
                 f'<article id="post-1" class="post-1 post type-post status-publish format-standard hentry category-{cat} tag-ads infinite-scroll-item" itemtype="https://schema.org/CreativeWork" itemscope>'
                 f'<div class="inside-article"><header class="entry-header"><h1 class="entry-title" itemprop="headline">{esc(h1)}</h1><div class="entry-meta"><span class="posted-on"><time class="entry-date published" datetime="2024-03-05">March 5, 2024</time></span> <span class="byline">by <span class="author vcard"><a class="url fn n" href="/author/a/">{esc(rng.choice(NAMES))}</a></span></span></div></header>'
                 f'<div class="entry-content" itemprop="text">{"".join(body)}</div><footer class="entry-meta" aria-label="Entry meta"><span class="cat-links"><a href="/category/{cat}/" rel="category tag">Advertising</a></span> <span class="tags-links"><a href="/tag/ads/" rel="tag">ads</a></span>'
                 f'<nav id="nav-below" class="post-navigation"><div class="nav-previous"><span class="prev"><a href="/prev/" rel="prev">{esc(t.headline())}</a></span></div></nav></footer></div></article></main></div>'
                 f'<div class="widget-area sidebar is-right-sidebar" id="right-sidebar"><div class="inside-right-sidebar"><aside id="custom_html-2" class="widget_text widget widget_custom_html"><div class="textwidget custom-html-widget"><div class="ad-unit">Ad</div></div></aside></div></div></div></div>')
        wrap = f'<div class="ad-enabled page-wrapper">{inner}</div>'
    else:
        inner = (f'<div class="jeg_viewport"><div class="jeg_main jeg_sidebar_right"><div class="jeg_container"><div class="jeg_content jeg_singlepage"><div class="container"><div class="jeg_ad jeg_article jnews_article_top_ads"><div class="ads-wrapper"></div></div>'
                 f'<div class="row"><div class="jeg_main_content col-md-8"><div class="jeg_inner_content"><div class="entry-header"><div class="jeg_meta_category"><span><a href="/category/{cat}/" rel="category tag">Advertising</a></span></div><h1 class="jeg_post_title">{esc(h1)}</h1>'
                 f'<div class="jeg_meta_container"><div class="jeg_post_meta jeg_post_meta_1"><div class="meta_left"><div class="jeg_meta_author"><span class="meta_text">by</span> <a href="/author/b/">{esc(rng.choice(NAMES))}</a></div><div class="jeg_meta_date"><a href="/2024/03/">March 5, 2024</a></div></div></div></div></div>'
                 f'<div class="jeg_share_top_container"><div class="jeg_share_button clearfix"><div class="jeg_sharelist"><a href="https://share.example/fb" class="jeg_btn-facebook expanded"><span>Share on Facebook</span></a><a href="https://share.example/tw" class="jeg_btn-twitter expanded"><span>Share on Twitter</span></a></div></div></div>'
                 f'<div class="jeg_ad jeg_article jnews_content_top_ads "><div class="ads-wrapper"></div></div><div class="entry-content no-share"><div class="content-inner ">{"".join(body)}</div></div>'
                 f'<div class="jeg_ad jeg_article jnews_content_bottom_ads "><div class="ads-wrapper"><span class="ads-text">ADVERTISEMENT</span></div></div>'
                 f'<div class="jnews_prev_next_container"><div class="jeg_prevnext_post"><a href="/p" class="post prev-post"><span class="caption">Previous Post</span><h3 class="post-title">{esc(t.headline())}</h3></a></div></div>'
                 f'<div class="jnews_related_post_container"><div class="jeg_postblock_22 jeg_postblock jeg_module_hook"><div class="jeg_block_heading"><h3 class="jeg_block_title"><span>Related<strong> Posts</strong></span></h3></div>'
                 + "".join(f'<article class="jeg_post jeg_pl_md_5"><div class="jeg_postblock_content"><h3 class="jeg_post_title"><a href="/r{k}">{esc(t.headline())}</a></h3></div></article>' for k in range(3)) + '</div></div></div></div>'
                 f'<div class="jeg_sidebar jeg_sticky_sidebar col-md-4"><div class="widget widget_jnews_module_block_21"><div class="jeg_block_heading"><h3 class="jeg_block_title"><span>Recent News</span></h3></div>'
                 + "".join(f'<div class="jeg_post"><h3 class="jeg_post_title"><a href="/n{k}">{esc(t.headline())}</a></h3></div>' for k in range(4)) + '</div></div></div></div></div></div></div></div>')
        wrap = f'<div class="jeg_ad_wrapper advertisement-container">{inner}</div>'
    page = head(f"{h1} - Marketing Weekly", lang, "", h1, "Marketing Weekly") + \
        (f'<body class="post-template-default single single-post single-format-standard has-ads td-standard-pack global-block-template-1 single_template_2">'
         f'<div class="td-header-wrap td-header-style-1"><div class="td-header-top-menu-full"><div class="td-header-top-menu"><div class="top-bar-style-1"><div class="td-header-sp-top-menu"><ul class="top-header-menu"><li><a href="/about">About</a></li><li><a href="/advertise">Advertise</a></li><li><a href="/contact">Contact</a></li></ul></div></div></div></div>'
         f'<div class="td-banner-wrap-full td-logo-wrap-full"><div class="td-header-sp-logo"><a class="td-main-logo" href="/"><span class="td-visual-hidden">Marketing Weekly</span></a></div><div class="td-header-sp-recs"><div class="td-header-rec-wrap"><div class="td-a-rec td-a-rec-id-header"><span>Advertisement</span></div></div></div></div></div>'
         f'{wrap}<div class="td-footer-wrapper td-container-wrap"><div class="td-footer-bottom-full"><div class="td-pb-span12"><aside class="footer-text-wrap"><div class="block-title"><span>ABOUT US</span></div>Marketing Weekly covers media, brands and agencies. Contact us: hello@example.com</aside></div></div>'
         f'<div class="td-sub-footer-container"><div class="td-sub-footer-copy">&copy; 2024 Marketing Weekly</div></div></div></body></html>')
    return page, truth, h1


def shape_big_comments(rng, lang):
    """A blog post followed by a long threaded comment section (WordPress `ol.comment-list`
    with nested `ul.children`, or a news site's own 'Conversation' block without comment
    class names), far more words in the comments than in the post."""
    t = text_for(rng, lang)
    h1 = t.headline()
    truth = [h1]
    body_html, btruth = plain_body(rng, t, 3, 6, heads=False)
    truth.extend(btruth)
    n = rng.randint(30, 60)
    style = rng.randint(0, 1)
    items = []
    for k in range(n):
        text = " ".join(rng.sample(COMMENT_LINES, rng.randint(2, 4))) if lang not in ("ja",) else t.paragraph(1, 2)
        name = rng.choice(NAMES)
        if style == 0:
            child = ""
            if rng.random() < 0.3:
                child = (f'<ul class="children"><li class="comment byuser odd alt depth-2" id="comment-{k}-1"><article class="comment-body"><footer class="comment-meta"><div class="comment-author vcard"><b class="fn">{esc(rng.choice(NAMES))}</b> <span class="says">says:</span></div>'
                         f'<div class="comment-metadata"><a href="#c"><time datetime="2024-03-05">March 5, 2024 at 9:1{k % 10} am</time></a></div></footer><div class="comment-content"><p>{esc(rng.choice(COMMENT_LINES))}</p></div></article></li></ul>')
            items.append(f'<li id="comment-{k}" class="comment even thread-even depth-1 parent"><article id="div-comment-{k}" class="comment-body"><footer class="comment-meta"><div class="comment-author vcard"><img alt="" src="/av.png" class="avatar avatar-32 photo"><b class="fn">{esc(name)}</b> <span class="says">says:</span></div>'
                         f'<div class="comment-metadata"><a href="#comment-{k}"><time datetime="2024-03-04">March 4, 2024 at {k % 12 + 1}:00 pm</time></a></div></footer><div class="comment-content"><p>{esc(text)}</p></div>'
                         f'<div class="reply"><a rel="nofollow" class="comment-reply-link" href="?replytocom={k}#respond">Reply</a></div></article>{child}</li>')
        else:
            items.append(f'<div class="c-{k % 3} item"><div class="who"><span>{esc(name)}</span> · <span>{rng.randint(1, 23)}h</span></div>'
                         f'<div class="said"><p>{esc(text)}</p></div><div class="acts"><a href="#up">Like ({rng.randint(0, 40)})</a> <a href="#re">Answer</a></div></div>')
    if style == 0:
        thread = (f'<div id="comments" class="comments-area"><h2 class="comments-title">{n} thoughts on &ldquo;{esc(h1)}&rdquo;</h2><ol class="comment-list">{"".join(items)}</ol>'
                  f'<div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3><form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form"><p class="comment-notes">Your email address will not be published.</p><textarea id="comment" name="comment"></textarea><input name="submit" type="submit" value="Post Comment"></form></div></div>')
    else:
        thread = f'<section class="conversation"><h2>Conversation ({n})</h2><div class="sort">Sort by <a href="?s=new">Newest</a> <a href="?s=top">Top</a></div><div class="stream">{"".join(items)}</div><a class="more" href="?page=2">Load more</a></section>'
    page = head(f"{h1} | {rng.choice(SITES)}", lang, "", h1) + \
        (f'<body class="post-template-default single single-post"><div id="page" class="site"><header id="masthead" class="site-header"><p class="site-title"><a href="/">{esc(rng.choice(SITES))}</a></p><nav id="site-navigation" class="main-navigation"><ul><li><a href="/">Home</a></li><li><a href="/archive">Archive</a></li><li><a href="/about">About</a></li></ul></nav></header>'
         f'<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main"><article class="post type-post status-publish"><header class="entry-header"><h1 class="entry-title">{esc(h1)}</h1><div class="entry-meta"><span class="posted-on">March 4, 2024</span></div></header>'
         f'<div class="entry-content">{body_html}</div></article>{thread}</main></div></div>'
         f'<footer id="colophon" class="site-footer"><div class="site-info">Proudly powered by WordPress</div></footer></div></body></html>')
    return page, truth, h1


def shape_furniture_news(rng, lang):
    """A news article dense with furniture inside the story: `data-component` blocks (BBC
    shape: headline, byline, image with caption and credit, text blocks, 'Related topics',
    'More on this story') or a `data-gu-name` body (Guardian shape) with a standfirst,
    share buttons, pull quotes, in-body 'Related:' links and a 'Explore more on these
    topics' list."""
    t = text_for(rng, lang)
    h1 = t.headline()
    truth = [h1]
    style = rng.randint(0, 1)
    blocks = []
    for k in range(rng.randint(6, 11)):
        p = t.paragraph(1, 3)
        truth.append(p)
        if style == 0:
            blocks.append(f'<div data-component="text-block" class="ssrcss-11r1m41-RichTextComponentWrapper ep2nwvo0"><div class="ssrcss-7uxr49-RichTextContainer e5tfeyi1"><p class="ssrcss-1q0x1qg-Paragraph e1jhz7w10">{esc(p)}</p></div></div>')
            if k == 2:
                cap = t.short(6)
                blocks.append(f'<div data-component="image-block" class="ssrcss-1k2gkc5"><figure class="ssrcss-1pf0jr0-StyledFigure"><div class="ssrcss-ab5fd8-StyledFigureContainer"><span class="ssrcss-1kv4mer-Image"><img src="/i.jpg" alt="{esc(cap)}"></span>'
                              f'<span role="text" class="ssrcss-1pvwv4b-Copyright"><span class="ssrcss-1hizfh0-VisuallyHidden">Image source, </span>Getty Images</span></div><figcaption class="ssrcss-1p3lrpx-Caption"><span class="ssrcss-1hizfh0-VisuallyHidden">Image caption, </span>{esc(cap)}</figcaption></figure></div>')
        else:
            blocks.append(f'<p class="dcr-1eu361v">{esc(p)}</p>')
            if k == 3:
                q = t.sentence()
                blocks.append(f'<aside data-spacefinder-role="supporting" class="dcr-1hbm4nr"><svg viewBox="0 0 22 14"></svg><blockquote class="dcr-zzndwp"><p>{esc(q)}</p></blockquote></aside>')
                truth.append(q)
            if k == 1:
                blocks.append(f'<aside data-gu-name="related" class="dcr-15lm8ia"><p><strong>Related: </strong><a href="/r/1" data-link-name="in body link">{esc(t.headline())}</a></p></aside>')
    if style == 0:
        art = (f'<main id="main-content" data-testid="main-content" class="ssrcss-1sxrp0v-Main"><article class="ssrcss-1wu6j4z-Article e1nh2i2l5"><header data-component="headline-block" class="ssrcss-1eqcsb1-HeadingWrapper e1nh2i2l6"><h1 id="main-heading" type="headline" tabindex="-1" class="ssrcss-1s9pby4-Heading e10rt3ze0">{esc(h1)}</h1></header>'
               f'<div data-component="byline-block" class="ssrcss-1pxdkl2-ComponentWrapper"><div class="ssrcss-68pt20-Text-TextContributorName e8mq1e96">By {esc(rng.choice(NAMES))}</div><div class="ssrcss-84ltp5-Text">Political correspondent</div></div>'
               f'<div data-component="timestamp-block" class="ssrcss-1qzrsk3"><time datetime="2024-03-05T10:00:00.000Z" class="ssrcss-1if1g9v-MetadataText">5 March 2024</time></div>'
               f'<div data-component="links-block" class="ssrcss-1pt8eyk"><div class="ssrcss-1ocoo3l-Wrap"><span>Share</span><button>Save</button></div></div>'
               f'{"".join(blocks)}'
               f'<div data-component="tag-list" class="ssrcss-1qmkvfu-TopicListWrapper"><div class="ssrcss-1v7cw9a"><h2 class="ssrcss-3xz6j3-StyledHeading">Related topics</h2><ul class="ssrcss-1nqwqy7-TopicList">'
               + "".join(f'<li class="ssrcss-1l7yhct-ListItem"><a href="/topics/{k}" class="ssrcss-1yno9a1-StyledLink">{esc(t.short(2))}</a></li>' for k in range(4)) + '</ul></div></div>'
               f'<section data-component="see-alsos" class="ssrcss-1sbajfo"><h2>More on this story</h2><ul>' + "".join(f'<li><a href="/s{k}">{esc(t.headline())}</a></li>' for k in range(3)) + '</ul></section></article>'
               f'<section data-component="most-read" class="ssrcss-1xkv8uq" aria-labelledby="most-read-heading"><h2 id="most-read-heading">Most read</h2><ol>' + "".join(f'<li><a href="/m{k}">{esc(t.headline())}</a></li>' for k in range(5)) + '</ol></section></main>')
        chrome_top = f'<header data-testid="header" class="ssrcss-1bvsa7s"><a href="/">Home</a><nav aria-label="News"><ul>' + "".join(f'<li><a href="/{x}">{x}</a></li>' for x in ["UK", "World", "Business", "Politics", "Tech"]) + '</ul></nav></header>'
    else:
        stand = t.paragraph(1, 1)
        truth.insert(1, stand)
        art = (f'<main data-layout="StandardLayout"><article class="dcr-1ckbbxk"><div class="dcr-1e4ghcw"><div data-gu-name="title" class="dcr-1cfpnlw"><div class="dcr-1mq6p9q"><a href="/politics" data-link-name="article section" class="dcr-1nrfz6g"><span>Politics</span></a></div></div>'
               f'<div data-gu-name="headline" class="dcr-1wi6p8x"><div class="dcr-1nupfq9"><h1 class="dcr-1ryzhbo">{esc(h1)}</h1></div></div>'
               f'<div data-gu-name="standfirst" class="dcr-1tb2emq"><div class="dcr-1kvdjt9"><p>{esc(stand)}</p></div></div>'
               f'<div data-gu-name="media" class="dcr-1t8m8f3"><figure class="dcr-1j2e7ra"><div class="dcr-1t8yp6w"><picture><img alt="" src="/m.jpg"></picture></div><figcaption data-spacefinder-role="inline" class="dcr-hnp4ou"><span class="dcr-1qvd3m6">{esc(t.short(6))}.</span> Photograph: Agency</figcaption></figure></div>'
               f'<div data-gu-name="meta" class="dcr-1qz8q5g"><div class="dcr-1v3epg2"><address aria-label="Contributor info" data-component="meta-byline"><div class="dcr-1ncaopm"><a rel="author" href="/profile/x">{esc(rng.choice(NAMES))}</a></div></address>'
               f'<details class="dcr-1hxu1uj" data-component="dateline"><summary class="dcr-1ybxn6r">Tue 5 Mar 2024 10.00 GMT</summary></details></div>'
               f'<div class="dcr-1m4mwhg"><div data-component="share"><ul class="dcr-1ecbc84"><li><a href="https://share.example/fb" aria-label="Share on Facebook">Facebook</a></li><li><a href="https://share.example/tw">Twitter</a></li><li><a href="mailto:?subject=x">Email</a></li></ul></div></div></div>'
               f'<div data-gu-name="body" class="dcr-1acdrnk"><div id="maincontent" class="article-body-commercial-selector article-body-viewer-selector dcr-fp1ya">{"".join(blocks)}</div>'
               f'<div data-print-layout="hide" class="dcr-1rwbfbf"><div class="dcr-1ziqk80"><h2 class="dcr-1pp0mch">Explore more on these topics</h2><ul class="dcr-1fgpxxz">' + "".join(f'<li><a href="/t{k}" class="dcr-1yzd6ud">{esc(t.short(2))}</a></li>' for k in range(5)) + '</ul></div>'
               f'<div class="dcr-1rrd8ne"><a href="/reuse" data-link-name="reuse">Reuse this content</a></div></div></div></div></article>'
               f'<section data-link-name="most-viewed" data-component="most-popular"><h2>Most viewed</h2><ol>' + "".join(f'<li><a href="/mv{k}">{esc(t.headline())}</a></li>' for k in range(5)) + '</ol></section></main>')
        chrome_top = '<div id="bannerandheader"><nav data-component="nav2"><ul>' + "".join(f'<li><a href="/{x}">{x}</a></li>' for x in ["News", "Opinion", "Sport", "Culture", "Lifestyle"]) + '</ul></nav></div>'
    page = head(f"{h1} - {rng.choice(SITES)}", lang, "", h1) + \
        f'<body>{chrome_top}{art}<footer data-component="footer"><ul><li><a href="/terms">Terms</a></li><li><a href="/about">About</a></li><li><a href="/privacy">Privacy</a></li></ul><p>Copyright 2024. Not responsible for the content of external sites.</p></footer></body></html>'
    return page, truth, h1


def shape_govuk(rng, lang):
    """A government guidance page (GOV.UK shape): 'Skip to main content', the crown header,
    breadcrumbs, a caption over the title, 'From / Published' metadata, a contents list, a
    `govspeak` body, a 'Related content' column and an 'Is this page useful?' survey."""
    t = text_for(rng, lang)
    h1 = t.headline()
    lede = t.sentence()
    truth = [h1, lede]
    body, btruth = [], []
    toc = []
    for s in range(rng.randint(2, 4)):
        h = t.short(4)
        toc.append(f'<li class="gem-c-contents-list__list-item gem-c-contents-list__list-item--dashed"><a class="gem-c-contents-list__link govuk-link" href="#s{s}">{esc(h)}</a></li>')
        body.append(f'<h2 id="s{s}">{esc(h)}</h2>')
        btruth.append(h)
        for _ in range(rng.randint(1, 3)):
            p = t.paragraph(1, 3)
            body.append(f"<p>{esc(p)}</p>")
            btruth.append(p)
        if rng.random() < 0.4:
            items = [t.sentence() for _ in range(3)]
            body.append('<ul>' + "".join(f"<li>{esc(x)}</li>" for x in items) + '</ul>')
            btruth.extend(items)
    truth.extend(btruth)
    page = head(f"{h1} - GOV.UK", lang, lede, h1, "GOV.UK") + \
        (f'<body class="govuk-template__body"><a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">Skip to main content</a>'
         f'<div id="global-cookie-message" class="gem-c-cookie-banner govuk-clearfix" data-module="cookie-banner" role="region" aria-label="Cookies on GOV.UK"><div class="govuk-cookie-banner" role="region"><h2 class="govuk-cookie-banner__heading govuk-heading-m">Cookies on GOV.UK</h2><p class="govuk-body">We use some essential cookies to make this website work.</p><button class="govuk-button">Accept additional cookies</button></div></div>'
         f'<header role="banner" id="global-header" class="gem-c-layout-header govuk-header"><div class="govuk-header__container govuk-width-container"><a href="/" class="govuk-header__link govuk-header__link--homepage">GOV.UK</a><nav aria-label="Menu" class="gem-c-layout-super-navigation-header__content"><a href="/browse">Topics</a> <a href="/government/organisations">Government activity</a></nav></div></header>'
         f'<div class="govuk-width-container"><div class="gem-c-breadcrumbs govuk-breadcrumbs govuk-breadcrumbs--collapse-on-mobile" data-module="ga4-link-tracker"><ol class="govuk-breadcrumbs__list"><li class="govuk-breadcrumbs__list-item"><a class="govuk-breadcrumbs__link" href="/">Home</a></li><li class="govuk-breadcrumbs__list-item"><a class="govuk-breadcrumbs__link" href="/housing-local-and-community">Housing, local and community</a></li></ol></div>'
         f'<main role="main" id="main-content" class="govuk-main-wrapper govuk-main-wrapper--auto-spacing" lang="{lang}"><div class="govuk-grid-row gem-print-columns-none"><div class="govuk-grid-column-two-thirds"><div class="gem-c-heading govuk-!-margin-bottom-8"><span class="govuk-caption-xl gem-c-heading__context">Guidance</span><h1 class="gem-c-heading__text govuk-heading-l">{esc(h1)}</h1></div>'
         f'<p class="gem-c-lead-paragraph">{esc(lede)}</p></div></div>'
         f'<div class="govuk-grid-row gem-print-columns-none"><div class="govuk-grid-column-two-thirds"><div class="gem-c-metadata" data-module="gem-toggle"><dl><dt class="gem-c-metadata__term">From:</dt><dd class="gem-c-metadata__definition"><a href="/government/organisations/dept" class="govuk-link">Department for Levelling Up</a></dd>'
         f'<dt class="gem-c-metadata__term">Published</dt><dd class="gem-c-metadata__definition">5 March 2024</dd></dl></div></div></div>'
         f'<div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds"><nav class="gem-c-contents-list" aria-label="Contents" role="navigation"><h2 class="gem-c-contents-list__title">Contents</h2><ol class="gem-c-contents-list__list">{"".join(toc)}</ol></nav>'
         f'<div class="gem-c-govspeak govuk-govspeak" data-module="govspeak"><div class="govspeak">{"".join(body)}</div></div>'
         f'<div class="gem-c-published-dates"><p>Published 5 March 2024</p></div>'
         f'<div class="gem-c-print-link govuk-!-display-none-print"><button class="govuk-link govuk-body-s gem-c-print-link__button">Print this page</button></div></div>'
         f'<div class="govuk-grid-column-one-third"><aside class="gem-c-related-navigation" role="complementary"><h2 class="gem-c-related-navigation__main-heading">Related content</h2><nav><ul class="gem-c-related-navigation__link-list">' + "".join(f'<li class="gem-c-related-navigation__link"><a class="govuk-link" href="/r{k}">{esc(t.headline())}</a></li>' for k in range(3)) + '</ul></nav></aside></div></div></main></div>'
         f'<div class="gem-c-feedback govuk-!-display-none-print" data-module="feedback"><div class="gem-c-feedback__prompt"><h2 class="gem-c-feedback__prompt-question">Is this page useful?</h2><button class="govuk-button">Yes</button><button class="govuk-button">No</button><button class="govuk-button">Report a problem with this page</button></div></div>'
         f'<footer class="gem-c-layout-footer govuk-footer" role="contentinfo"><div class="govuk-width-container"><h2 class="govuk-visually-hidden">Support links</h2><ul class="govuk-footer__inline-list"><li><a class="govuk-footer__link" href="/help">Help</a></li><li><a class="govuk-footer__link" href="/help/privacy-notice">Privacy</a></li><li><a class="govuk-footer__link" href="/help/cookies">Cookies</a></li></ul>'
         f'<span class="govuk-footer__licence-description">All content is available under the Open Government Licence v3.0, except where otherwise stated</span><a class="govuk-footer__link govuk-footer__copyright-logo" href="/copyright">&copy; Crown copyright</a></div></footer></body></html>')
    return page, truth, h1


def shape_newsletter_post(rng, lang):
    """A newsletter post (Substack shape): post header with title, subtitle and author line,
    share and like buttons, `.available-content .body.markup` holding paragraphs with a
    subscribe widget and a 'Share' button between them, a footer with likes and a
    'Discussion about this post' section, 'Ready for more?' subscribe box."""
    t = text_for(rng, lang)
    h1 = t.headline()
    sub = t.sentence()
    truth = [h1, sub]
    body, btruth = [], []
    for k in range(rng.randint(5, 10)):
        p = t.paragraph(1, 4)
        body.append(f"<p>{esc(p)}</p>")
        btruth.append(p)
        if k == 2:
            body.append('<div class="subscription-widget-wrap-editor" data-component-name="SubscribeWidgetToDOM"><div class="subscription-widget show-subscribe"><div class="preamble"><p class="cta-caption">Thanks for reading! Subscribe for free to receive new posts and support my work.</p></div>'
                        '<form class="subscription-widget-subscribe"><input type="email" class="email-input" name="email" placeholder="Type your email..."><input type="submit" class="button primary" value="Subscribe"></form></div></div>')
        if k == 4:
            body.append('<p class="button-wrapper" data-attrs="{}" data-component-name="ButtonCreateButton"><a class="button primary" href="/share"><span>Share</span></a></p>')
    truth.extend(btruth)
    author = rng.choice(NAMES)
    comments_html = "".join(f'<div class="comment"><div class="comment-content"><div class="comment-meta"><a href="/@u{k}">{esc(rng.choice(NAMES))}</a><span>Mar {k + 1}</span></div><div class="comment-body"><p>{esc(rng.choice(COMMENT_LINES))}</p></div><div class="comment-actions"><a>Like</a><a>Reply</a></div></div></div>' for k in range(rng.randint(2, 8)))
    page = head(f"{h1} - by {author}", lang, sub, h1, "The Long View") + \
        (f'<body><div id="entry"><div id="main" class="main typography use-theme-bg"><div class="main-menu"><div class="topbar"><a href="/" class="navbar-title-link">The Long View</a><div class="navbar-buttons"><a class="button primary subscribe-btn" href="/subscribe">Subscribe</a><a class="button sign-in-link" href="/sign-in">Sign in</a></div></div></div>'
         f'<div class="single-post-container"><div class="container"><div class="single-post"><article class="typography newsletter-post post"><div class="post-header"><h1 class="post-title published">{esc(h1)}</h1><h3 class="subtitle">{esc(sub)}</h3>'
         f'<div class="post-meta"><div class="post-meta-item byline-wrapper"><div class="profile-hover-card-target"><a href="/@{author.split()[0].lower()}">{esc(author)}</a></div><div class="post-date">Mar 05, 2024</div></div>'
         f'<div class="post-ufi"><a class="post-ufi-button like-button"><span class="label">{rng.randint(5, 400)}</span></a><a class="post-ufi-button share-button"><span class="label">Share</span></a></div></div></div>'
         f'<div class="available-content"><div dir="auto" class="body markup">{"".join(body)}</div></div>'
         f'<div class="post-footer"><div class="post-ufi"><a class="like-button">{rng.randint(5, 400)} Likes</a><a class="restack-button">Restacks</a></div></div>'
         f'<div class="subscribe-footer"><h2 class="subscribe-widget-title">Ready for more?</h2><form><input type="email" placeholder="Type your email..."><input type="submit" value="Subscribe"></form></div></article>'
         f'<div class="comments-page"><div class="container"><h4 class="comments-heading">Discussion about this post</h4><div class="comment-list">{comments_html}</div></div></div></div></div></div>'
         f'<div class="footer-wrap"><div class="footer"><span>&copy; 2024 {esc(author)}</span> &middot; <a href="/privacy">Privacy</a> &middot; <a href="/tos">Terms</a> &middot; <a href="/collection">Collection notice</a></div></div></div></div></body></html>')
    return page, truth, h1


def shape_ja_news(rng, lang):
    """A Japanese news article: `div#main > div.article` without `<article>` or `<main>`,
    the body in `div.article-body` paragraphs, a ranking sidebar, 'related articles' with
    dates, a share bar of Japanese labels and a long footer of company links."""
    t = TextJa(rng, "ja")
    h1 = t.headline()
    truth = [h1]
    paras = [t.paragraph(2, 4) for _ in range(rng.randint(4, 8))]
    truth.extend(paras)
    page = head(f"{h1}｜毎朝ニュース", "ja", paras[0][:60], h1, "毎朝ニュース") + \
        (f'<body><div id="wrapper"><div id="header"><div class="logo"><a href="/">毎朝ニュース</a></div><ul class="gnav">' + "".join(f'<li><a href="/{k}">{x}</a></li>' for k, x in enumerate(["トップ", "社会", "政治", "経済", "国際", "スポーツ"])) + '</ul></div>'
         f'<div id="main"><div class="topicpath"><a href="/">トップ</a> &gt; <a href="/society">社会</a></div><div class="article"><h1 class="title">{esc(h1)}</h1><p class="date">2024年3月5日 10時00分</p>'
         f'<div class="sns-share"><a href="https://share.example/x">ポスト</a><a href="https://share.example/line">LINEで送る</a><a href="https://share.example/fb">シェア</a></div>'
         f'<div class="article-body">' + "".join(f"<p>{esc(p)}</p>" for p in paras) + '</div>'
         f'<div class="related"><h2>関連記事</h2><ul>' + "".join(f'<li><a href="/r{k}">{esc(t.headline())}</a><span>3月{k + 1}日</span></li>' for k in range(4)) + '</ul></div></div></div>'
         f'<div id="side"><div class="ranking"><h2>アクセスランキング</h2><ol>' + "".join(f'<li><a href="/rk{k}">{esc(t.headline())}</a></li>' for k in range(5)) + '</ol></div></div>'
         f'<div id="footer"><ul>' + "".join(f'<li><a href="/f{k}">{x}</a></li>' for k, x in enumerate(["会社概要", "お問い合わせ", "個人情報の取り扱い", "著作権について", "広告掲載"])) + '</ul><p>Copyright &copy; 毎朝新聞社 All rights reserved.</p></div></div></body></html>')
    return page, truth, h1


BATCH2 = [
    ("furo", shape_furo, 4),
    ("vitepress", shape_vitepress, 4),
    ("mdn", shape_mdn, 4),
    ("discourse", shape_discourse, 5),
    ("xenforo", shape_xenforo, 5),
    ("shopify", shape_shopify, 4),
    ("woocommerce", shape_woocommerce, 4),
    ("frontpage", shape_frontpage, 4),
    ("nosemantic", shape_nosemantic, 4),
    ("aspnetmaster", shape_aspnet_master, 4),
    ("wpadtheme", shape_wp_adtheme, 6),
    ("bigcomments", shape_big_comments, 5),
    ("furniture", shape_furniture_news, 6),
    ("govuk", shape_govuk, 3),
    ("newsletter", shape_newsletter_post, 4),
    ("janews", shape_ja_news, 2),
]
BATCH2_LANGS = ["en", "it", "en", "pt", "en", "nl", "en", "pl", "en", "de", "en", "fr", "en", "es"]


SHAPES = [
    ("news", shape_news, 26),
    ("wordpress", shape_wordpress, 18),
    ("adwrap", shape_ad_wrapper, 12),
    ("aspnet", shape_aspnet, 8),
    ("tworoles", shape_two_mains, 8),
    ("divsoup", shape_div_soup, 10),
    ("barebr", shape_bare_br, 8),
    ("maincomments", shape_main_comments, 8),
    ("docs", shape_docs, 10),
    ("forum", shape_forum, 10),
    ("product", shape_product, 8),
    ("portal", shape_portal, 6),
    ("cms", shape_cms_misc, 15),
    ("oldtable", shape_old_table, 5),
    ("recipe", shape_recipe, 6),
    ("press", shape_press_release, 5),
]

# Shapes added after the extractor's rules were written, to check them on pages they were
# not tuned on (appended so the pages above stay as they were).
LATER_SHAPES = [
    ("qa", shape_qa, 6),
    ("liveblog", shape_liveblog, 6),
    ("wiki", shape_wiki, 6),
]
LANG_CYCLE = ["en", "en", "en", "de", "fr", "en", "es", "ru", "en", "en"]

# Shapes also written with every class and id replaced by a generated name, as CSS-modules,
# styled-components and minifiers publish them: nothing but tags, roles and structure to go by.
OBFUSCATED = [
    ("news", shape_news, 10),
    ("wordpress", shape_wordpress, 5),
    ("divsoup", shape_div_soup, 4),
    ("barebr", shape_bare_br, 3),
    ("maincomments", shape_main_comments, 4),
    ("forum", shape_forum, 4),
    ("cms", shape_cms_misc, 6),
    ("docs", shape_docs, 3),
    ("product", shape_product, 3),
]


def obfuscate(page, rng):
    """Every class and id value replaced token by token; one token always maps to one name,
    so repeated structure keeps repeated names."""
    import re
    names = {}

    def name(token):
        if token not in names:
            prefix = rng.choice(["sc-", "_", "css-", "x"])
            names[token] = prefix + "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                                            for _ in range(rng.randint(5, 8)))
        return names[token]

    def repl(m):
        return f'{m.group(1)}="' + " ".join(name(t) for t in m.group(2).split()) + '"'

    return re.sub(r'\b(class|id)="([^"]*)"', repl, page)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "pages")
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.endswith((".html", ".txt", ".headline")):
            os.remove(os.path.join(out, f))
    rng = random.Random(20260226)
    n = 0
    for name, fn, count in SHAPES:
        for i in range(count):
            lang = "en" if name == "docs" else LANG_CYCLE[(n + i) % len(LANG_CYCLE)]
            page, truth, headline = fn(rng, lang)
            stem = f"{n:03d}-{name}-{lang}"
            with open(os.path.join(out, stem + ".html"), "w", encoding="utf-8") as f:
                f.write(page)
            with open(os.path.join(out, stem + ".txt"), "w", encoding="utf-8") as f:
                f.write("\n".join(truth) + "\n")
            with open(os.path.join(out, stem + ".headline"), "w", encoding="utf-8") as f:
                f.write(headline + "\n")
            n += 1
    for name, fn, count in OBFUSCATED:
        for i in range(count):
            lang = "en" if name == "docs" else LANG_CYCLE[(n + i) % len(LANG_CYCLE)]
            page, truth, headline = fn(rng, lang)
            page = obfuscate(page, rng)
            stem = f"{n:03d}-{name}-obfuscated-{lang}"
            with open(os.path.join(out, stem + ".html"), "w", encoding="utf-8") as f:
                f.write(page)
            with open(os.path.join(out, stem + ".txt"), "w", encoding="utf-8") as f:
                f.write("\n".join(truth) + "\n")
            with open(os.path.join(out, stem + ".headline"), "w", encoding="utf-8") as f:
                f.write(headline + "\n")
            n += 1
    for name, fn, count in LATER_SHAPES:
        for i in range(count):
            lang = "en" if name == "qa" else LANG_CYCLE[(n + i) % len(LANG_CYCLE)]
            page, truth, headline = fn(rng, lang)
            stem = f"{n:03d}-{name}-{lang}"
            with open(os.path.join(out, stem + ".html"), "w", encoding="utf-8") as f:
                f.write(page)
            with open(os.path.join(out, stem + ".txt"), "w", encoding="utf-8") as f:
                f.write("\n".join(truth) + "\n")
            with open(os.path.join(out, stem + ".headline"), "w", encoding="utf-8") as f:
                f.write(headline + "\n")
            n += 1
    for name, fn, count in BATCH2:
        for i in range(count):
            if name in ("furo", "vitepress", "govuk"):
                lang = "en"
            elif name == "janews":
                lang = "ja"
            else:
                lang = BATCH2_LANGS[(n + i) % len(BATCH2_LANGS)]
            page, truth, headline = fn(rng, lang)
            stem = f"{n:03d}-{name}-{lang}"
            with open(os.path.join(out, stem + ".html"), "w", encoding="utf-8") as f:
                f.write(page)
            with open(os.path.join(out, stem + ".txt"), "w", encoding="utf-8") as f:
                f.write("\n".join(truth) + "\n")
            with open(os.path.join(out, stem + ".headline"), "w", encoding="utf-8") as f:
                f.write(headline + "\n")
            n += 1
    print(f"wrote {n} pages to {out}")


if __name__ == "__main__":
    main()
