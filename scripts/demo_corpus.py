"""Procedural corpus for the embedded demo (`demo/corpus.json`).

Every paragraph is generated here from templates and word lists written for this project, so the corpus carries
the project's own licence. Topics are deliberately distinct (arithmetic, dates, colours, animals, weather, recipes,
Python, HTML, chemistry, geography, dialogue, lists, units, negation, names, French/Spanish/German/Chinese/Japanese
...) so that a sparse autoencoder trained on a tiny model's activations finds features one can recognise.
A few paragraphs carry strings that are hostile to HTML (`<script>`, `&amp;`, quotes) as ordinary text, to
exercise the site's escaping. Used by `make_demo.py`; deterministic for a given seed.
"""
import random

FIRST_NAMES = ["Anna", "Tom", "Maria", "David", "Sofia", "James", "Lena", "Omar", "Yuki", "Pierre", "Elena", "Kwame",
               "Priya", "Lucas", "Ingrid", "Mateo", "Chloe", "Ravi", "Hannah", "Diego", "Aiko", "Felix", "Nadia", "Sam"]
LAST_NAMES = ["Smith", "Garcia", "Müller", "Tanaka", "Dubois", "Rossi", "Novak", "Okafor", "Patel", "Larsen",
              "Silva", "Kowalski", "Brown", "Nguyen", "Fischer", "Moreau"]
COLOURS = ["red", "blue", "green", "yellow", "purple", "orange", "black", "white", "grey", "pink", "brown", "violet",
           "turquoise", "crimson", "golden", "silver"]
SHADES = ["bright", "dark", "pale", "deep", "light", "soft", "vivid", "dull"]
OBJECTS = ["door", "car", "house", "dress", "umbrella", "bicycle", "kite", "scarf", "boat", "wall", "cup", "lamp",
           "fence", "jacket", "balloon", "notebook"]
ANIMALS = [("cat", "cats"), ("dog", "dogs"), ("fox", "foxes"), ("horse", "horses"), ("rabbit", "rabbits"),
           ("owl", "owls"), ("wolf", "wolves"), ("mouse", "mice"), ("goose", "geese"), ("sheep", "sheep"),
           ("elephant", "elephants"), ("dolphin", "dolphins"), ("frog", "frogs"), ("bee", "bees"),
           ("tiger", "tigers"), ("penguin", "penguins"), ("eagle", "eagles"), ("deer", "deer")]
ANIMAL_FACTS = ["live in large groups", "sleep during the day", "hunt at night", "eat mostly plants",
                "can swim very well", "build nests in spring", "travel long distances", "have excellent hearing",
                "are very curious", "communicate with sounds", "store food for the winter", "are fast runners"]
ANIMAL_VERBS = ["chased", "watched", "followed", "ignored", "found", "jumped over", "ran past", "hid from"]
PLACES = ["the field", "the river", "the forest", "the garden", "the barn", "the hill", "the lake", "the road"]
CITIES = [("Paris", "France", "the Seine", "Europe"), ("Berlin", "Germany", "the Spree", "Europe"),
          ("Madrid", "Spain", "the Manzanares", "Europe"), ("Rome", "Italy", "the Tiber", "Europe"),
          ("Cairo", "Egypt", "the Nile", "Africa"), ("Nairobi", "Kenya", "the Nairobi River", "Africa"),
          ("Tokyo", "Japan", "the Sumida", "Asia"), ("Beijing", "China", "the Yongding", "Asia"),
          ("Lima", "Peru", "the Rímac", "South America"), ("Ottawa", "Canada", "the Ottawa River", "North America"),
          ("Canberra", "Australia", "the Molonglo", "Oceania"), ("Vienna", "Austria", "the Danube", "Europe"),
          ("London", "the United Kingdom", "the Thames", "Europe"), ("Lisbon", "Portugal", "the Tagus", "Europe"),
          ("Buenos Aires", "Argentina", "the Río de la Plata", "South America"),
          ("Hanoi", "Vietnam", "the Red River", "Asia"), ("Warsaw", "Poland", "the Vistula", "Europe"),
          ("Oslo", "Norway", "the Akerselva", "Europe")]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
EVENTS = ["meeting", "concert", "exam", "flight", "appointment", "party", "match", "lecture", "interview", "train"]
WEATHER = ["sunny", "cloudy", "rainy", "windy", "foggy", "stormy", "snowy", "clear"]
PRECIP = ["light rain", "heavy rain", "snow showers", "drizzle", "thunderstorms", "hail", "no rain"]
INGREDIENTS = ["flour", "sugar", "butter", "milk", "rice", "onions", "garlic", "tomatoes", "olive oil", "salt",
               "pepper", "cheese", "carrots", "potatoes", "lemon juice", "honey", "yoghurt", "chicken stock"]
COOK_VERBS = ["Whisk", "Stir", "Chop", "Mix", "Fry", "Boil", "Simmer", "Bake", "Roast", "Grate", "Slice", "Blend"]
DISHES = ["pancakes", "tomato soup", "vegetable curry", "lemon cake", "fried rice", "potato salad", "omelette",
          "bread rolls", "risotto", "carrot stew"]
ELEMENTS = [("hydrogen", "H", 1, 1.008), ("helium", "He", 2, 4.003), ("carbon", "C", 6, 12.011),
            ("nitrogen", "N", 7, 14.007), ("oxygen", "O", 8, 15.999), ("sodium", "Na", 11, 22.990),
            ("magnesium", "Mg", 12, 24.305), ("chlorine", "Cl", 17, 35.45), ("iron", "Fe", 26, 55.845),
            ("copper", "Cu", 29, 63.546), ("zinc", "Zn", 30, 65.38), ("silver", "Ag", 47, 107.87),
            ("calcium", "Ca", 20, 40.078), ("sulfur", "S", 16, 32.06)]
COMPOUNDS = [("water", "H2O"), ("carbon dioxide", "CO2"), ("table salt", "NaCl"), ("methane", "CH4"),
             ("ammonia", "NH3"), ("glucose", "C6H12O6"), ("ethanol", "C2H5OH"), ("sulfuric acid", "H2SO4"),
             ("calcium carbonate", "CaCO3"), ("hydrogen peroxide", "H2O2")]
REACTIONS = ["2H2 + O2 → 2H2O", "CH4 + 2O2 → CO2 + 2H2O", "NaOH + HCl → NaCl + H2O", "CaCO3 → CaO + CO2",
             "Zn + 2HCl → ZnCl2 + H2", "N2 + 3H2 → 2NH3", "C + O2 → CO2", "2Na + Cl2 → 2NaCl"]
UNITS = [("metres", "m"), ("kilometres", "km"), ("centimetres", "cm"), ("kilograms", "kg"), ("grams", "g"),
         ("litres", "L"), ("millilitres", "mL"), ("seconds", "s"), ("minutes", "min"), ("hours", "h")]
PY_NAMES = ["total", "count", "items", "values", "result", "name", "data", "index", "score", "text", "size", "row"]
PY_FUNCS = ["mean", "clean", "parse", "load", "count_words", "square", "normalise", "is_even", "first", "merge"]
HTML_TAGS = ["div", "p", "span", "section", "article", "li", "h2", "em", "strong", "td"]
HTML_CLASSES = ["card", "title", "note", "menu", "footer", "header", "item", "warning", "price", "link"]
WORDS = ["hello", "welcome", "news", "contact", "about us", "price list", "home", "settings", "login", "help"]
QUOTE_VERBS = ["said", "asked", "replied", "whispered", "shouted", "answered", "added"]
FEELINGS = ["happy", "tired", "hungry", "worried", "excited", "calm", "cold", "late"]

FRENCH = ["Le chat dort sur le canapé.", "Nous allons au marché demain matin.", "Il fait beau aujourd'hui.",
          "Je voudrais un café, s'il vous plaît.", "La bibliothèque ferme à dix-huit heures.",
          "Les enfants jouent dans le jardin.", "Où est la gare, s'il vous plaît ?", "Elle lit un livre très long.",
          "Le train part à huit heures.", "J'aime beaucoup la musique."]
SPANISH = ["El perro corre por el parque.", "Mañana vamos a la playa.", "¿Dónde está el museo?",
           "Me gusta mucho la comida mexicana.", "La tienda abre a las nueve.", "Hace mucho calor en verano.",
           "Mi hermana estudia medicina.", "¿Cuántos años tienes?", "El libro está sobre la mesa.",
           "Los niños cantan una canción."]
GERMAN = ["Der Hund schläft im Garten.", "Wir fahren morgen nach München.", "Das Wetter ist heute schön.",
          "Ich hätte gern ein Glas Wasser.", "Die Straße ist sehr lang.", "Können Sie mir bitte helfen?",
          "Das Buch liegt auf dem Tisch.", "Im Winter schneit es oft.", "Meine Großmutter backt einen Kuchen.",
          "Der Zug kommt um zehn Uhr an."]
CHINESE = ["今天天气很好。", "我喜欢喝茶。", "他们明天去北京。", "这本书很有意思。", "猫在桌子上睡觉。",
           "我们一起吃饭吧。", "学校八点开门。", "你叫什么名字？"]
JAPANESE = ["今日はとても暑いです。", "私は毎朝コーヒーを飲みます。", "駅はどこですか？", "この本は面白いです。",
            "猫が庭で寝ています。", "明日は雨が降るでしょう。", "日本語を勉強しています。"]

HOSTILE = ["Never paste <script>alert(1)</script> into a form field.",
           "The string &amp; is how HTML writes an ampersand, and &lt;b&gt; is how it writes <b>.",
           "She wrote \"5 < 7 && 7 > 5\" on the board, then 'single quotes' too.",
           "A link like <a href=\"javascript:alert('x')\">click</a> must be shown as text.",
           "Tom & Jerry said: \"<img src=x onerror=alert(2)>\" is not a picture.",
           "Backslashes \\n and \\t, a tab\tand a non-breaking\u00a0space, all plain text."]


def name(r):
    return f"{r.choice(FIRST_NAMES)} {r.choice(LAST_NAMES)}"


def arithmetic(r):
    a, b = r.randint(2, 99), r.randint(2, 99)
    forms = [lambda: f"What is {a} plus {b}? The answer is {a + b}.",
             lambda: f"{a} + {b} = {a + b}, and {a} - {b} = {a - b}.",
             lambda: f"If you multiply {a % 13} by {b % 13}, you get {(a % 13) * (b % 13)}.",
             lambda: f"{a} × {b % 12} = {a * (b % 12)}. Check: {a * (b % 12)} ÷ {a} = {b % 12}.",
             lambda: f"The sum of {a}, {b} and {a + 1} is {2 * a + b + 1}.",
             lambda: f"Half of {2 * a} is {a}, and twice {b} is {2 * b}.",
             lambda: f"Is {a} greater than {b}? {'Yes' if a > b else 'No'}, because {a} {'>' if a > b else '<='} {b}."]
    return " ".join(r.choice(forms)() for _ in range(r.randint(1, 3)))


def dates(r):
    d, m, y = r.randint(1, 28), r.choice(MONTHS), r.randint(1950, 2030)
    hh, mm = r.randint(0, 23), r.choice([0, 15, 30, 45, 5, 50])
    forms = [f"The {r.choice(EVENTS)} is on {r.choice(WEEKDAYS)}, {d} {m} {y} at {hh:02d}:{mm:02d}.",
             f"{name(r)} was born on {m} {d}, {y}.",
             f"Date: {y}-{MONTHS.index(m) + 1:02d}-{d:02d}. Time: {hh:02d}:{mm:02d}:{r.randint(0, 59):02d}.",
             f"The shop opens at {r.randint(7, 10)} a.m. and closes at {r.randint(5, 9)} p.m. every {r.choice(WEEKDAYS)}.",
             f"Between {d} {m} and {min(28, d + 7)} {m} {y}, the office is closed.",
             f"In {y} the festival started in {m} and lasted {r.randint(2, 12)} days."]
    return " ".join(r.sample(forms, r.randint(1, 2)))


def colours(r):
    forms = [lambda: f"The {r.choice(OBJECTS)} was painted {r.choice(SHADES)} {r.choice(COLOURS)}.",
             lambda: f"She chose a {r.choice(COLOURS)} {r.choice(OBJECTS)} and a {r.choice(COLOURS)} {r.choice(OBJECTS)}.",
             lambda: f"Mixing {r.choice(COLOURS[:3])} and {r.choice(COLOURS[1:4])} paint gives a new colour.",
             lambda: f"His favourite colour is {r.choice(COLOURS)}, but he also likes {r.choice(COLOURS)}.",
             lambda: f"The sky turned {r.choice(COLOURS)} and then {r.choice(SHADES)} {r.choice(COLOURS)} at sunset."]
    return " ".join(r.choice(forms)() for _ in range(r.randint(1, 3)))


def animals(r):
    (a, ap), (b, bp) = r.sample(ANIMALS, 2)
    forms = [f"The {a} {r.choice(ANIMAL_VERBS)} the {b} across {r.choice(PLACES)}.",
             f"Most {ap} {r.choice(ANIMAL_FACTS)}.", f"Many {bp} {r.choice(ANIMAL_FACTS)}, and some {ap} do too.",
             f"A young {a} stayed close to {r.choice(PLACES)} all morning.",
             f"There were {r.randint(2, 40)} {bp} and one {a} near {r.choice(PLACES)}."]
    return " ".join(r.sample(forms, r.randint(1, 3)))


def weather(r):
    city = r.choice(CITIES)[0]
    lo = r.randint(-10, 20)
    forms = [f"Weather forecast for {city}: {r.choice(WEATHER)} with {r.choice(PRECIP)}, high of {lo + r.randint(3, 12)}°C and low of {lo}°C.",
             f"Tomorrow will be {r.choice(WEATHER)} in the morning and {r.choice(WEATHER)} in the afternoon.",
             f"Wind from the {r.choice(['north', 'south', 'east', 'west'])} at {r.randint(5, 60)} km/h; humidity {r.randint(30, 95)}%.",
             f"It has been {r.choice(WEATHER)} for {r.randint(2, 9)} days, and more {r.choice(PRECIP)} is expected."]
    return " ".join(r.sample(forms, r.randint(1, 3)))


def recipe(r):
    dish = r.choice(DISHES)
    ing = r.sample(INGREDIENTS, 3)
    steps = [f"{r.choice(COOK_VERBS)} {r.randint(1, 4) * 50} g of {ing[0]} with {r.randint(1, 3)} tablespoons of {ing[1]}.",
             f"Add a pinch of {r.choice(['salt', 'pepper', 'cinnamon', 'paprika'])} and {r.randint(100, 500)} ml of {ing[2]}.",
             f"{r.choice(['Bake', 'Simmer', 'Roast', 'Cook'])} for {r.randint(5, 60)} minutes at {r.choice([160, 180, 200, 220])} °C.",
             f"Serve the {dish} warm."]
    return f"Recipe for {dish}: " + " ".join(steps[:r.randint(2, 4)])


def python_code(r):
    f, v, w = r.choice(PY_FUNCS), r.choice(PY_NAMES), r.choice(PY_NAMES)
    n = r.randint(0, 10)
    forms = [f"def {f}({v}):\n    return {v} * {n}",
             f"for {v} in range({n}):\n    print({v})",
             f"{v} = [{', '.join(str(r.randint(0, 9)) for _ in range(r.randint(2, 5)))}]\n{w} = sum({v}) / len({v})",
             f"if {v} > {n}:\n    {w} = True\nelse:\n    {w} = False",
             f"def {f}({v}, {w}={n}):\n    \"\"\"Return {v} plus {w}.\"\"\"\n    return {v} + {w}",
             f"import json\nwith open(\"{v}.json\") as fh:\n    {w} = json.load(fh)",
             f"{v} = {{\"{w}\": {n}, \"ok\": None}}\nprint({v}[\"{w}\"])",
             f"class {f.title().replace('_', '')}:\n    def __init__(self, {v}):\n        self.{v} = {v}"]
    return r.choice(forms)


def html(r):
    t, c, w = r.choice(HTML_TAGS), r.choice(HTML_CLASSES), r.choice(WORDS)
    forms = [f"<{t} class=\"{c}\">{w.title()}</{t}>",
             f"<ul>\n  <li>{r.choice(WORDS)}</li>\n  <li>{r.choice(WORDS)}</li>\n</ul>",
             f"<a href=\"/{w.replace(' ', '-')}.html\">{w}</a>",
             f"<img src=\"{c}.png\" alt=\"{w}\" width=\"{r.randint(1, 9) * 32}\">",
             f"<table><tr><td>{r.randint(1, 99)}</td><td>{w}</td></tr></table>",
             f"<p>Price: {r.randint(1, 99)} &euro; &mdash; <em>{w}</em></p>"]
    return "\n".join(r.sample(forms, r.randint(1, 2)))


def chemistry(r):
    el, sym, z, mass = r.choice(ELEMENTS)
    comp, form = r.choice(COMPOUNDS)
    forms = [f"The element {el} has the symbol {sym} and atomic number {z}.",
             f"The molar mass of {sym} is {mass} g/mol.",
             f"The formula of {comp} is {form}.",
             f"In the reaction {r.choice(REACTIONS)}, the reactants form new products.",
             f"A solution of {comp} ({form}) at {r.randint(1, 9) / 10:.1f} mol/L was heated to {r.randint(30, 90)} °C."]
    return " ".join(r.sample(forms, r.randint(1, 3)))


def geography(r):
    city, country, river, cont = r.choice(CITIES)
    forms = [f"{city} is the capital of {country}.", f"{city} lies on {river}.",
             f"{country} is a country in {cont}.",
             f"The population of {city} is about {r.randint(1, 15)}.{r.randint(0, 9)} million people.",
             f"The distance from {city} to {r.choice(CITIES)[0]} is roughly {r.randint(300, 9000)} km."]
    return " ".join(r.sample(forms, r.randint(1, 3)))


def questions(r):
    a = r.choice(ANIMALS)[1]
    forms = [f"Why do {a} {r.choice(ANIMAL_FACTS).replace('are ', 'seem ')}?", f"Where is {r.choice(CITIES)[0]}?",
             f"How many {a} live near {r.choice(PLACES)}?", f"Who is {name(r)}?",
             f"What time does the {r.choice(EVENTS)} start?", f"Can you help me find {r.choice(PLACES)}?",
             f"Is it {r.choice(WEATHER)} today?", f"When did {r.choice(FIRST_NAMES)} arrive?"]
    return " ".join(r.sample(forms, r.randint(1, 3)))


def dialogue(r):
    a, b = r.sample(FIRST_NAMES, 2)
    lines = [f"\u201cWhere are you going?\u201d {r.choice(QUOTE_VERBS)} {a}.",
             f"\u201cTo {r.choice(PLACES)},\u201d {r.choice(QUOTE_VERBS)} {b}. \u201cI am {r.choice(FEELINGS)}.\u201d",
             f"\"Are you sure?\" {r.choice(QUOTE_VERBS)} {a}.", f"\"Yes,\" {b} {r.choice(QUOTE_VERBS)}, \"I'm sure.\"",
             f"{a}: I can't find my {r.choice(OBJECTS)}.\n{b}: It's on the {r.choice(['table', 'chair', 'shelf'])}."]
    return " ".join(r.sample(lines, r.randint(2, 3)))


def lists(r):
    kind = r.randrange(3)
    if kind == 0:
        return "Shopping list:\n" + "\n".join(f"- {x}" for x in r.sample(INGREDIENTS, r.randint(3, 5)))
    if kind == 1:
        return "Steps:\n" + "\n".join(f"{i + 1}. {r.choice(COOK_VERBS)} the {x}." for i, x in
                                      enumerate(r.sample(INGREDIENTS, r.randint(2, 4))))
    return "To do: " + "; ".join(f"call {r.choice(FIRST_NAMES)}" if i % 2 else f"buy {x}"
                                 for i, x in enumerate(r.sample(INGREDIENTS, 4))) + "."


def units(r):
    (u1, s1), (u2, s2) = r.sample(UNITS, 2)
    n = r.randint(1, 500)
    forms = [f"The rope is {n} {u1} long.", f"It weighs {r.randint(1, 90)}.{r.randint(0, 9)} kg.",
             f"Convert {n} {s1} to {s2}.", f"{n} {s1} + {r.randint(1, 50)} {s1} = ? {s1}",
             f"The tank holds {r.randint(5, 200)} litres of water.",
             f"The runner finished {r.choice([5, 10, 21, 42])} km in {r.randint(20, 200)} minutes."]
    return " ".join(r.sample(forms, r.randint(1, 3)))


def negation(r):
    a = r.choice(ANIMALS)[0]
    forms = [f"The {a} did not eat the food.", f"It is not {r.choice(WEATHER)} today.",
             f"{r.choice(FIRST_NAMES)} never drinks {r.choice(['coffee', 'tea', 'milk'])}.",
             f"There is no {r.choice(OBJECTS)} in the room.", f"Nobody saw the {a}.",
             f"The {r.choice(EVENTS)} wasn't cancelled, and it isn't late.", f"None of the {r.choice(ANIMALS)[1]} were hungry."]
    return " ".join(r.sample(forms, r.randint(1, 3)))


def people(r):
    forms = [f"{name(r)} met {name(r)} in {r.choice(CITIES)[0]}.",
             f"Dr. {r.choice(LAST_NAMES)} and Prof. {r.choice(LAST_NAMES)} wrote the report.",
             f"Contact {r.choice(FIRST_NAMES).lower()}.{r.choice(LAST_NAMES).lower()}@example.org for details.",
             f"{r.choice(FIRST_NAMES)} told {r.choice(FIRST_NAMES)} that {r.choice(FIRST_NAMES)} was {r.choice(FEELINGS)}."]
    return " ".join(r.sample(forms, r.randint(1, 2)))


def foreign(r):
    pools = [FRENCH, SPANISH, GERMAN, CHINESE, JAPANESE]
    pool = pools[r.randrange(len(pools))]
    return ("" if pool in (CHINESE, JAPANESE) else " ").join(r.sample(pool, r.randint(1, 3)))


TOPICS = [arithmetic, dates, colours, animals, weather, recipe, python_code, html, chemistry, geography, questions,
          dialogue, lists, units, negation, people, foreign]


def make_corpus(seed=0, n=4000):
    """`n` paragraphs, round-robin over the topics in a shuffled order, plus the hostile strings once each."""
    r = random.Random(seed)
    texts = [TOPICS[i % len(TOPICS)](r) for i in range(n - len(HOSTILE))]
    texts += HOSTILE
    r.shuffle(texts)
    return texts
