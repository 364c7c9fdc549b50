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
    print(f"wrote {n} pages to {out}")


if __name__ == "__main__":
    main()
