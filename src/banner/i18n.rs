//! Banner texts: the built-in translations and `[banner.strings.<lang>]`
//! overrides.
//!
//! Every built-in language defines every string (the compiler checks it:
//! each table is a full `Builtin`). A language added only through
//! `consent.toml` starts from the default language and replaces what it sets.

use serde::Deserialize;

macro_rules! texts {
    ($( $(#[$doc:meta])* $field:ident ),* $(,)?) => {
        /// Every user-visible string of the banner, the cookie declaration
        /// and the consent status, in one language.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Texts {
            /// The language these texts are in (`"de"`, `"pt-br"`, …).
            pub lang: String,
            $( $(#[$doc])* pub $field: String, )*
        }

        /// `[banner.strings.<lang>]`: any subset of the strings, replacing
        /// the built-in ones (or adding a language).
        #[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Strings {
            $( $(#[$doc])* pub $field: Option<String>, )*
        }

        struct Builtin {
            $( $field: &'static str, )*
        }

        impl Texts {
            fn from_builtin(lang: &str, b: &Builtin) -> Texts {
                Texts { lang: lang.to_string(), $( $field: b.$field.to_string(), )* }
            }

            fn apply(&mut self, s: &Strings) {
                $( if let Some(v) = &s.$field { self.$field = v.clone(); } )*
            }
        }
    };
}

texts! {
    /// Dialog heading.
    title,
    /// Body text of the `opt-in` variant.
    body_opt_in,
    /// Body text of the `opt-out` variant.
    body_opt_out,
    /// Body text of the `notice` variant.
    body_notice,
    /// Text of the link to the cookie policy.
    policy_link,
    /// "Accept all" button.
    accept_all,
    /// "Reject all" button.
    reject_all,
    /// "Customize" control (opens the per-category toggles).
    customize,
    /// "Save choices" button.
    save,
    /// Dismiss button of the `notice` and `opt-out` variants.
    dismiss,
    /// "Withdraw consent" button.
    withdraw,
    /// The US "Do Not Sell or Share My Personal Information" control.
    do_not_sell,
    /// Shown when a Global Privacy Control signal was honoured.
    gpc_honoured,
    /// The floating control that reopens the preferences.
    reopen,
    /// Legend of the category toggles.
    categories_legend,
    /// Marker for the necessary category.
    always_on,
    /// Label of the necessary category.
    necessary,
    /// Description of the necessary category.
    necessary_desc,
    /// Label of the functional category.
    functional,
    /// Description of the functional category.
    functional_desc,
    /// Label of the analytics category.
    analytics,
    /// Description of the analytics category.
    analytics_desc,
    /// Label of the advertising category.
    advertising,
    /// Description of the advertising category.
    advertising_desc,
    /// Placeholder for blocked embeds; `{vendor}` and `{category}` are replaced.
    placeholder,
    /// Button in a placeholder that grants its category.
    allow,
    /// Declaration column: cookie name.
    col_name,
    /// Declaration column: provider.
    col_provider,
    /// Declaration column: purpose.
    col_purpose,
    /// Declaration column: duration.
    col_duration,
    /// Declaration column: first or third party.
    col_party,
    /// "First party".
    first_party,
    /// "Third party".
    third_party,
    /// Shown when the declaration is empty.
    no_cookies,
    /// Heading of the per-category state in the status block.
    status_heading,
    /// "Consent ID".
    consent_id,
    /// "Date".
    date,
    /// "Method" (how the decision was given).
    method,
    /// State of a granted category.
    granted,
    /// State of a refused category.
    refused,
    /// Status when no decision was recorded yet.
    undecided,
    /// "Change settings" control.
    change,
    /// Method: accept all.
    method_accept_all,
    /// Method: reject all.
    method_reject_all,
    /// Method: custom selection.
    method_custom,
    /// Method: Global Privacy Control.
    method_gpc,
    /// Method: consent withdrawn.
    method_withdrawn,
}

/// The built-in languages, `en` first.
pub const BUILTIN_LANGS: [&str; 9] = ["en", "de", "fr", "es", "it", "nl", "pt", "pl", "hr"];

/// The built-in texts of `lang` (a lowercase primary subtag), if any.
pub fn builtin(lang: &str) -> Option<Texts> {
    let b = match lang {
        "en" => &EN,
        "de" => &DE,
        "fr" => &FR,
        "es" => &ES,
        "it" => &IT,
        "nl" => &NL,
        "pt" => &PT,
        "pl" => &PL,
        "hr" => &HR,
        _ => return None,
    };
    Some(Texts::from_builtin(lang, b))
}

/// The built-in English texts (the fallback of every lookup).
pub fn english() -> Texts {
    Texts::from_builtin("en", &EN)
}

/// `base` with the overrides of `s` applied, relabelled as `lang`.
pub fn overlay(mut base: Texts, lang: &str, s: Option<&Strings>) -> Texts {
    base.lang = lang.to_string();
    if let Some(s) = s {
        base.apply(s);
    }
    base
}

const EN: Builtin = Builtin {
    title: "Your privacy choices",
    body_opt_in: "We use cookies and similar technologies. Strictly necessary ones keep the site working and are always on. With your consent we also use optional ones to remember your preferences, measure how the site is used and show relevant advertising. Nothing optional is used until you choose, and you can change your mind at any time.",
    body_opt_out: "We use cookies and similar technologies to run the site, measure its use and show personalised advertising. Personalised advertising may count as a \u{201c}sale\u{201d} or \u{201c}sharing\u{201d} of personal information. You can opt out at any time.",
    body_notice: "This site uses cookies and similar technologies to work properly, measure its use and improve your experience. You can review and change your settings at any time.",
    policy_link: "Cookie policy",
    accept_all: "Accept all",
    reject_all: "Reject all",
    customize: "Customize",
    save: "Save choices",
    dismiss: "OK",
    withdraw: "Withdraw consent",
    do_not_sell: "Do Not Sell or Share My Personal Information",
    gpc_honoured: "Your opt-out preference signal has been honoured.",
    reopen: "Cookie settings",
    categories_legend: "Cookie categories",
    always_on: "Always on",
    necessary: "Strictly necessary",
    necessary_desc: "Needed for the site to work, for security and to remember your consent choice. They cannot be switched off.",
    functional: "Functional",
    functional_desc: "Remember your preferences and enable extra features such as embedded videos, maps and chat.",
    analytics: "Analytics",
    analytics_desc: "Help us understand how the site is used so we can improve it.",
    advertising: "Advertising",
    advertising_desc: "Used by us and our partners to show and measure personalised advertising, including sharing data with those partners.",
    placeholder: "This {vendor} content needs {category} cookies.",
    allow: "Allow",
    col_name: "Name",
    col_provider: "Provider",
    col_purpose: "Purpose",
    col_duration: "Duration",
    col_party: "Type",
    first_party: "First party",
    third_party: "Third party",
    no_cookies: "No cookies are declared.",
    status_heading: "Your current choices",
    consent_id: "Consent ID",
    date: "Date",
    method: "Method",
    granted: "Allowed",
    refused: "Refused",
    undecided: "You have not made a choice yet.",
    change: "Change settings",
    method_accept_all: "Accepted all",
    method_reject_all: "Rejected all",
    method_custom: "Custom selection",
    method_gpc: "Global Privacy Control signal",
    method_withdrawn: "Consent withdrawn",
};

const DE: Builtin = Builtin {
    title: "Ihre Datenschutz-Einstellungen",
    body_opt_in: "Wir verwenden Cookies und ähnliche Technologien. Unbedingt erforderliche halten die Website funktionsfähig und sind immer aktiv. Mit Ihrer Einwilligung nutzen wir zusätzlich optionale, um Ihre Einstellungen zu speichern, die Nutzung der Website zu messen und relevante Werbung anzuzeigen. Optionale werden erst nach Ihrer Wahl verwendet, und Sie können Ihre Entscheidung jederzeit ändern.",
    body_opt_out: "Wir verwenden Cookies und ähnliche Technologien, um die Website zu betreiben, ihre Nutzung zu messen und personalisierte Werbung anzuzeigen. Personalisierte Werbung kann als \u{201e}Verkauf\u{201c} oder \u{201e}Weitergabe\u{201c} personenbezogener Daten gelten. Sie können jederzeit widersprechen.",
    body_notice: "Diese Website verwendet Cookies und ähnliche Technologien, um richtig zu funktionieren, ihre Nutzung zu messen und Ihr Erlebnis zu verbessern. Sie können Ihre Einstellungen jederzeit prüfen und ändern.",
    policy_link: "Cookie-Richtlinie",
    accept_all: "Alle akzeptieren",
    reject_all: "Alle ablehnen",
    customize: "Anpassen",
    save: "Auswahl speichern",
    dismiss: "OK",
    withdraw: "Einwilligung widerrufen",
    do_not_sell: "Meine personenbezogenen Daten nicht verkaufen oder weitergeben",
    gpc_honoured: "Ihr Opt-out-Präferenzsignal wurde berücksichtigt.",
    reopen: "Cookie-Einstellungen",
    categories_legend: "Cookie-Kategorien",
    always_on: "Immer aktiv",
    necessary: "Unbedingt erforderlich",
    necessary_desc: "Für den Betrieb der Website, die Sicherheit und das Speichern Ihrer Einwilligungsentscheidung nötig. Sie können nicht deaktiviert werden.",
    functional: "Funktional",
    functional_desc: "Speichern Ihre Einstellungen und ermöglichen zusätzliche Funktionen wie eingebettete Videos, Karten und Chat.",
    analytics: "Statistik",
    analytics_desc: "Helfen uns zu verstehen, wie die Website genutzt wird, damit wir sie verbessern können.",
    advertising: "Werbung",
    advertising_desc: "Werden von uns und unseren Partnern genutzt, um personalisierte Werbung anzuzeigen und zu messen, einschließlich der Weitergabe von Daten an diese Partner.",
    placeholder: "Dieser Inhalt von {vendor} benötigt Cookies der Kategorie \u{201e}{category}\u{201c}.",
    allow: "Erlauben",
    col_name: "Name",
    col_provider: "Anbieter",
    col_purpose: "Zweck",
    col_duration: "Speicherdauer",
    col_party: "Art",
    first_party: "Eigenes Cookie",
    third_party: "Drittanbieter-Cookie",
    no_cookies: "Es sind keine Cookies angegeben.",
    status_heading: "Ihre aktuelle Auswahl",
    consent_id: "Einwilligungs-ID",
    date: "Datum",
    method: "Art der Entscheidung",
    granted: "Erlaubt",
    refused: "Abgelehnt",
    undecided: "Sie haben noch keine Auswahl getroffen.",
    change: "Einstellungen ändern",
    method_accept_all: "Alle akzeptiert",
    method_reject_all: "Alle abgelehnt",
    method_custom: "Individuelle Auswahl",
    method_gpc: "Global-Privacy-Control-Signal",
    method_withdrawn: "Einwilligung widerrufen",
};

const FR: Builtin = Builtin {
    title: "Vos choix en matière de confidentialité",
    body_opt_in: "Nous utilisons des cookies et des technologies similaires. Les cookies strictement nécessaires assurent le fonctionnement du site et sont toujours actifs. Avec votre consentement, nous utilisons aussi des cookies facultatifs pour mémoriser vos préférences, mesurer l\u{2019}utilisation du site et afficher des publicités pertinentes. Aucun cookie facultatif n\u{2019}est utilisé avant votre choix, que vous pouvez modifier à tout moment.",
    body_opt_out: "Nous utilisons des cookies et des technologies similaires pour faire fonctionner le site, mesurer son utilisation et afficher des publicités personnalisées. La publicité personnalisée peut être considérée comme une \u{ab}\u{a0}vente\u{a0}\u{bb} ou un \u{ab}\u{a0}partage\u{a0}\u{bb} de données personnelles. Vous pouvez vous y opposer à tout moment.",
    body_notice: "Ce site utilise des cookies et des technologies similaires pour fonctionner correctement, mesurer son utilisation et améliorer votre expérience. Vous pouvez consulter et modifier vos paramètres à tout moment.",
    policy_link: "Politique relative aux cookies",
    accept_all: "Tout accepter",
    reject_all: "Tout refuser",
    customize: "Personnaliser",
    save: "Enregistrer mes choix",
    dismiss: "OK",
    withdraw: "Retirer mon consentement",
    do_not_sell: "Ne pas vendre ni partager mes informations personnelles",
    gpc_honoured: "Votre signal de préférence de refus a été respecté.",
    reopen: "Paramètres des cookies",
    categories_legend: "Catégories de cookies",
    always_on: "Toujours actifs",
    necessary: "Strictement nécessaires",
    necessary_desc: "Indispensables au fonctionnement du site, à sa sécurité et à la mémorisation de votre choix. Ils ne peuvent pas être désactivés.",
    functional: "Fonctionnels",
    functional_desc: "Mémorisent vos préférences et activent des fonctionnalités supplémentaires comme les vidéos intégrées, les cartes et le chat.",
    analytics: "Mesure d\u{2019}audience",
    analytics_desc: "Nous aident à comprendre comment le site est utilisé afin de l\u{2019}améliorer.",
    advertising: "Publicité",
    advertising_desc: "Utilisés par nous et nos partenaires pour afficher et mesurer des publicités personnalisées, y compris en partageant des données avec ces partenaires.",
    placeholder: "Ce contenu {vendor} nécessite des cookies de la catégorie \u{ab}\u{a0}{category}\u{a0}\u{bb}.",
    allow: "Autoriser",
    col_name: "Nom",
    col_provider: "Fournisseur",
    col_purpose: "Finalité",
    col_duration: "Durée",
    col_party: "Type",
    first_party: "Interne",
    third_party: "Tiers",
    no_cookies: "Aucun cookie n\u{2019}est déclaré.",
    status_heading: "Vos choix actuels",
    consent_id: "Identifiant de consentement",
    date: "Date",
    method: "Méthode",
    granted: "Autorisé",
    refused: "Refusé",
    undecided: "Vous n\u{2019}avez pas encore fait de choix.",
    change: "Modifier les paramètres",
    method_accept_all: "Tout accepté",
    method_reject_all: "Tout refusé",
    method_custom: "Sélection personnalisée",
    method_gpc: "Signal Global Privacy Control",
    method_withdrawn: "Consentement retiré",
};

const ES: Builtin = Builtin {
    title: "Tus opciones de privacidad",
    body_opt_in: "Utilizamos cookies y tecnologías similares. Las estrictamente necesarias hacen que el sitio funcione y están siempre activas. Con tu consentimiento usamos además otras opcionales para recordar tus preferencias, medir el uso del sitio y mostrar publicidad relevante. No se usa ninguna opcional hasta que elijas, y puedes cambiar de opinión en cualquier momento.",
    body_opt_out: "Utilizamos cookies y tecnologías similares para hacer funcionar el sitio, medir su uso y mostrar publicidad personalizada. La publicidad personalizada puede considerarse una \u{ab}venta\u{bb} o \u{ab}cesión\u{bb} de información personal. Puedes oponerte en cualquier momento.",
    body_notice: "Este sitio utiliza cookies y tecnologías similares para funcionar correctamente, medir su uso y mejorar tu experiencia. Puedes revisar y cambiar la configuración en cualquier momento.",
    policy_link: "Política de cookies",
    accept_all: "Aceptar todo",
    reject_all: "Rechazar todo",
    customize: "Personalizar",
    save: "Guardar selección",
    dismiss: "Entendido",
    withdraw: "Retirar el consentimiento",
    do_not_sell: "No vender ni compartir mi información personal",
    gpc_honoured: "Se ha respetado tu señal de preferencia de exclusión.",
    reopen: "Configuración de cookies",
    categories_legend: "Categorías de cookies",
    always_on: "Siempre activas",
    necessary: "Estrictamente necesarias",
    necessary_desc: "Imprescindibles para que el sitio funcione, para la seguridad y para recordar tu elección. No se pueden desactivar.",
    functional: "Funcionales",
    functional_desc: "Recuerdan tus preferencias y activan funciones adicionales como vídeos insertados, mapas y chat.",
    analytics: "Analíticas",
    analytics_desc: "Nos ayudan a entender cómo se usa el sitio para poder mejorarlo.",
    advertising: "Publicidad",
    advertising_desc: "Las usamos nosotros y nuestros socios para mostrar y medir publicidad personalizada, lo que incluye compartir datos con esos socios.",
    placeholder: "Este contenido de {vendor} necesita cookies de la categoría \u{ab}{category}\u{bb}.",
    allow: "Permitir",
    col_name: "Nombre",
    col_provider: "Proveedor",
    col_purpose: "Finalidad",
    col_duration: "Duración",
    col_party: "Tipo",
    first_party: "Propia",
    third_party: "De terceros",
    no_cookies: "No hay cookies declaradas.",
    status_heading: "Tu selección actual",
    consent_id: "ID de consentimiento",
    date: "Fecha",
    method: "Método",
    granted: "Permitido",
    refused: "Rechazado",
    undecided: "Todavía no has elegido.",
    change: "Cambiar la configuración",
    method_accept_all: "Todo aceptado",
    method_reject_all: "Todo rechazado",
    method_custom: "Selección personalizada",
    method_gpc: "Señal Global Privacy Control",
    method_withdrawn: "Consentimiento retirado",
};

const IT: Builtin = Builtin {
    title: "Le tue scelte sulla privacy",
    body_opt_in: "Utilizziamo cookie e tecnologie simili. Quelli strettamente necessari fanno funzionare il sito e sono sempre attivi. Con il tuo consenso usiamo anche cookie facoltativi per ricordare le tue preferenze, misurare l\u{2019}uso del sito e mostrare pubblicità pertinente. Nessun cookie facoltativo viene usato prima della tua scelta, che puoi modificare in qualsiasi momento.",
    body_opt_out: "Utilizziamo cookie e tecnologie simili per far funzionare il sito, misurarne l\u{2019}uso e mostrare pubblicità personalizzata. La pubblicità personalizzata può essere considerata una \u{ab}vendita\u{bb} o \u{ab}condivisione\u{bb} di informazioni personali. Puoi opporti in qualsiasi momento.",
    body_notice: "Questo sito utilizza cookie e tecnologie simili per funzionare correttamente, misurarne l\u{2019}uso e migliorare la tua esperienza. Puoi controllare e modificare le impostazioni in qualsiasi momento.",
    policy_link: "Informativa sui cookie",
    accept_all: "Accetta tutto",
    reject_all: "Rifiuta tutto",
    customize: "Personalizza",
    save: "Salva le scelte",
    dismiss: "OK",
    withdraw: "Revoca il consenso",
    do_not_sell: "Non vendere né condividere le mie informazioni personali",
    gpc_honoured: "Il tuo segnale di preferenza di opt-out è stato rispettato.",
    reopen: "Impostazioni cookie",
    categories_legend: "Categorie di cookie",
    always_on: "Sempre attivi",
    necessary: "Strettamente necessari",
    necessary_desc: "Servono al funzionamento del sito, alla sicurezza e a ricordare la tua scelta sul consenso. Non possono essere disattivati.",
    functional: "Funzionali",
    functional_desc: "Ricordano le tue preferenze e abilitano funzioni aggiuntive come video incorporati, mappe e chat.",
    analytics: "Statistiche",
    analytics_desc: "Ci aiutano a capire come viene usato il sito per migliorarlo.",
    advertising: "Pubblicità",
    advertising_desc: "Usati da noi e dai nostri partner per mostrare e misurare pubblicità personalizzata, anche condividendo dati con tali partner.",
    placeholder: "Questo contenuto di {vendor} richiede i cookie della categoria \u{ab}{category}\u{bb}.",
    allow: "Consenti",
    col_name: "Nome",
    col_provider: "Fornitore",
    col_purpose: "Finalità",
    col_duration: "Durata",
    col_party: "Tipo",
    first_party: "Prima parte",
    third_party: "Terza parte",
    no_cookies: "Nessun cookie dichiarato.",
    status_heading: "Le tue scelte attuali",
    consent_id: "ID del consenso",
    date: "Data",
    method: "Modalità",
    granted: "Consentito",
    refused: "Rifiutato",
    undecided: "Non hai ancora fatto una scelta.",
    change: "Modifica le impostazioni",
    method_accept_all: "Tutto accettato",
    method_reject_all: "Tutto rifiutato",
    method_custom: "Selezione personalizzata",
    method_gpc: "Segnale Global Privacy Control",
    method_withdrawn: "Consenso revocato",
};

const NL: Builtin = Builtin {
    title: "Uw privacykeuzes",
    body_opt_in: "We gebruiken cookies en vergelijkbare technieken. Strikt noodzakelijke cookies laten de site werken en staan altijd aan. Met uw toestemming gebruiken we ook optionele cookies om uw voorkeuren te onthouden, het gebruik van de site te meten en relevante advertenties te tonen. Optionele cookies worden pas gebruikt nadat u hebt gekozen, en u kunt uw keuze altijd wijzigen.",
    body_opt_out: "We gebruiken cookies en vergelijkbare technieken om de site te laten werken, het gebruik ervan te meten en gepersonaliseerde advertenties te tonen. Gepersonaliseerde advertenties kunnen gelden als het \u{2018}verkopen\u{2019} of \u{2018}delen\u{2019} van persoonsgegevens. U kunt zich op elk moment afmelden.",
    body_notice: "Deze site gebruikt cookies en vergelijkbare technieken om goed te werken, het gebruik te meten en uw ervaring te verbeteren. U kunt uw instellingen altijd bekijken en wijzigen.",
    policy_link: "Cookiebeleid",
    accept_all: "Alles accepteren",
    reject_all: "Alles weigeren",
    customize: "Aanpassen",
    save: "Keuze opslaan",
    dismiss: "OK",
    withdraw: "Toestemming intrekken",
    do_not_sell: "Mijn persoonsgegevens niet verkopen of delen",
    gpc_honoured: "Uw opt-outvoorkeurssignaal is gerespecteerd.",
    reopen: "Cookie-instellingen",
    categories_legend: "Cookiecategorieën",
    always_on: "Altijd aan",
    necessary: "Strikt noodzakelijk",
    necessary_desc: "Nodig om de site te laten werken, voor de beveiliging en om uw toestemmingskeuze te onthouden. Ze kunnen niet worden uitgeschakeld.",
    functional: "Functioneel",
    functional_desc: "Onthouden uw voorkeuren en maken extra functies mogelijk, zoals ingesloten video\u{2019}s, kaarten en chat.",
    analytics: "Analytisch",
    analytics_desc: "Helpen ons te begrijpen hoe de site wordt gebruikt, zodat we die kunnen verbeteren.",
    advertising: "Advertenties",
    advertising_desc: "Worden door ons en onze partners gebruikt om gepersonaliseerde advertenties te tonen en te meten, waarbij ook gegevens met die partners worden gedeeld.",
    placeholder: "Deze inhoud van {vendor} heeft cookies uit de categorie \u{2018}{category}\u{2019} nodig.",
    allow: "Toestaan",
    col_name: "Naam",
    col_provider: "Aanbieder",
    col_purpose: "Doel",
    col_duration: "Bewaartermijn",
    col_party: "Soort",
    first_party: "Eigen cookie",
    third_party: "Cookie van derden",
    no_cookies: "Er zijn geen cookies opgegeven.",
    status_heading: "Uw huidige keuzes",
    consent_id: "Toestemmings-ID",
    date: "Datum",
    method: "Manier",
    granted: "Toegestaan",
    refused: "Geweigerd",
    undecided: "U hebt nog geen keuze gemaakt.",
    change: "Instellingen wijzigen",
    method_accept_all: "Alles geaccepteerd",
    method_reject_all: "Alles geweigerd",
    method_custom: "Eigen selectie",
    method_gpc: "Global Privacy Control-signaal",
    method_withdrawn: "Toestemming ingetrokken",
};

const PT: Builtin = Builtin {
    title: "As suas escolhas de privacidade",
    body_opt_in: "Utilizamos cookies e tecnologias semelhantes. Os estritamente necessários fazem o site funcionar e estão sempre ativos. Com o seu consentimento, utilizamos também cookies opcionais para memorizar as suas preferências, medir a utilização do site e mostrar publicidade relevante. Nenhum cookie opcional é utilizado antes da sua escolha, e pode mudar de ideia a qualquer momento.",
    body_opt_out: "Utilizamos cookies e tecnologias semelhantes para fazer funcionar o site, medir a sua utilização e mostrar publicidade personalizada. A publicidade personalizada pode ser considerada uma \u{ab}venda\u{bb} ou \u{ab}partilha\u{bb} de informações pessoais. Pode opor-se a qualquer momento.",
    body_notice: "Este site utiliza cookies e tecnologias semelhantes para funcionar corretamente, medir a sua utilização e melhorar a sua experiência. Pode rever e alterar as suas definições a qualquer momento.",
    policy_link: "Política de cookies",
    accept_all: "Aceitar tudo",
    reject_all: "Rejeitar tudo",
    customize: "Personalizar",
    save: "Guardar escolhas",
    dismiss: "OK",
    withdraw: "Retirar consentimento",
    do_not_sell: "Não vender nem partilhar as minhas informações pessoais",
    gpc_honoured: "O seu sinal de preferência de exclusão foi respeitado.",
    reopen: "Definições de cookies",
    categories_legend: "Categorias de cookies",
    always_on: "Sempre ativos",
    necessary: "Estritamente necessários",
    necessary_desc: "Necessários para o funcionamento do site, para a segurança e para memorizar a sua escolha de consentimento. Não podem ser desativados.",
    functional: "Funcionais",
    functional_desc: "Memorizam as suas preferências e ativam funcionalidades adicionais, como vídeos incorporados, mapas e chat.",
    analytics: "Analíticos",
    analytics_desc: "Ajudam-nos a perceber como o site é utilizado para o podermos melhorar.",
    advertising: "Publicidade",
    advertising_desc: "Utilizados por nós e pelos nossos parceiros para mostrar e medir publicidade personalizada, incluindo a partilha de dados com esses parceiros.",
    placeholder: "Este conteúdo de {vendor} precisa de cookies da categoria \u{ab}{category}\u{bb}.",
    allow: "Permitir",
    col_name: "Nome",
    col_provider: "Fornecedor",
    col_purpose: "Finalidade",
    col_duration: "Duração",
    col_party: "Tipo",
    first_party: "Próprio",
    third_party: "De terceiros",
    no_cookies: "Não há cookies declarados.",
    status_heading: "As suas escolhas atuais",
    consent_id: "ID de consentimento",
    date: "Data",
    method: "Método",
    granted: "Permitido",
    refused: "Recusado",
    undecided: "Ainda não fez nenhuma escolha.",
    change: "Alterar definições",
    method_accept_all: "Tudo aceite",
    method_reject_all: "Tudo rejeitado",
    method_custom: "Seleção personalizada",
    method_gpc: "Sinal Global Privacy Control",
    method_withdrawn: "Consentimento retirado",
};

const PL: Builtin = Builtin {
    title: "Twoje ustawienia prywatności",
    body_opt_in: "Używamy plików cookie i podobnych technologii. Niezbędne pliki cookie zapewniają działanie strony i są zawsze włączone. Za Twoją zgodą używamy również opcjonalnych, aby zapamiętać Twoje preferencje, mierzyć korzystanie ze strony i wyświetlać odpowiednie reklamy. Żadne opcjonalne pliki cookie nie są używane przed Twoim wyborem, a decyzję możesz zmienić w dowolnym momencie.",
    body_opt_out: "Używamy plików cookie i podobnych technologii, aby strona działała, aby mierzyć korzystanie z niej i wyświetlać spersonalizowane reklamy. Spersonalizowane reklamy mogą zostać uznane za \u{201e}sprzedaż\u{201d} lub \u{201e}udostępnianie\u{201d} danych osobowych. W każdej chwili możesz z tego zrezygnować.",
    body_notice: "Ta strona używa plików cookie i podobnych technologii, aby działać prawidłowo, mierzyć korzystanie z niej i ulepszać Twoje doświadczenia. Ustawienia możesz w każdej chwili sprawdzić i zmienić.",
    policy_link: "Polityka plików cookie",
    accept_all: "Akceptuj wszystkie",
    reject_all: "Odrzuć wszystkie",
    customize: "Dostosuj",
    save: "Zapisz wybór",
    dismiss: "OK",
    withdraw: "Wycofaj zgodę",
    do_not_sell: "Nie sprzedawaj ani nie udostępniaj moich danych osobowych",
    gpc_honoured: "Twój sygnał preferencji rezygnacji został uwzględniony.",
    reopen: "Ustawienia plików cookie",
    categories_legend: "Kategorie plików cookie",
    always_on: "Zawsze włączone",
    necessary: "Niezbędne",
    necessary_desc: "Potrzebne do działania strony, zapewnienia bezpieczeństwa i zapamiętania Twojej decyzji dotyczącej zgody. Nie można ich wyłączyć.",
    functional: "Funkcjonalne",
    functional_desc: "Zapamiętują Twoje preferencje i włączają dodatkowe funkcje, takie jak osadzone filmy, mapy i czat.",
    analytics: "Analityczne",
    analytics_desc: "Pomagają nam zrozumieć, jak korzystasz ze strony, abyśmy mogli ją ulepszać.",
    advertising: "Reklamowe",
    advertising_desc: "Używane przez nas i naszych partnerów do wyświetlania i mierzenia spersonalizowanych reklam, w tym do udostępniania danych tym partnerom.",
    placeholder: "Ta treść od {vendor} wymaga plików cookie z kategorii \u{201e}{category}\u{201d}.",
    allow: "Zezwól",
    col_name: "Nazwa",
    col_provider: "Dostawca",
    col_purpose: "Cel",
    col_duration: "Okres przechowywania",
    col_party: "Rodzaj",
    first_party: "Własny",
    third_party: "Zewnętrzny",
    no_cookies: "Nie zadeklarowano żadnych plików cookie.",
    status_heading: "Twoje obecne ustawienia",
    consent_id: "Identyfikator zgody",
    date: "Data",
    method: "Sposób",
    granted: "Dozwolone",
    refused: "Odrzucone",
    undecided: "Wybór nie został jeszcze dokonany.",
    change: "Zmień ustawienia",
    method_accept_all: "Zaakceptowano wszystkie",
    method_reject_all: "Odrzucono wszystkie",
    method_custom: "Własny wybór",
    method_gpc: "Sygnał Global Privacy Control",
    method_withdrawn: "Zgoda wycofana",
};

const HR: Builtin = Builtin {
    title: "Vaše postavke privatnosti",
    body_opt_in: "Koristimo kolačiće i slične tehnologije. Nužni kolačići omogućuju rad stranice i uvijek su uključeni. Uz vašu privolu koristimo i neobavezne kolačiće kako bismo zapamtili vaše postavke, mjerili korištenje stranice i prikazivali relevantne oglase. Nijedan neobavezni kolačić ne koristi se prije vašeg odabira, a odluku možete promijeniti u bilo kojem trenutku.",
    body_opt_out: "Koristimo kolačiće i slične tehnologije za rad stranice, mjerenje njezina korištenja i prikazivanje personaliziranih oglasa. Personalizirani oglasi mogu se smatrati \u{201e}prodajom\u{201d} ili \u{201e}dijeljenjem\u{201d} osobnih podataka. Od toga možete odustati u bilo kojem trenutku.",
    body_notice: "Ova stranica koristi kolačiće i slične tehnologije kako bi ispravno radila, mjerila korištenje i poboljšala vaše iskustvo. Postavke možete pregledati i promijeniti u bilo kojem trenutku.",
    policy_link: "Pravila o kolačićima",
    accept_all: "Prihvati sve",
    reject_all: "Odbij sve",
    customize: "Prilagodi",
    save: "Spremi odabir",
    dismiss: "U redu",
    withdraw: "Povuci privolu",
    do_not_sell: "Nemojte prodavati ni dijeliti moje osobne podatke",
    gpc_honoured: "Poštovali smo vaš signal preferencije za odustajanje.",
    reopen: "Postavke kolačića",
    categories_legend: "Kategorije kolačića",
    always_on: "Uvijek uključeni",
    necessary: "Nužni",
    necessary_desc: "Potrebni za rad stranice, sigurnost i pamćenje vašeg odabira o privoli. Ne mogu se isključiti.",
    functional: "Funkcionalni",
    functional_desc: "Pamte vaše postavke i omogućuju dodatne značajke poput ugrađenih videozapisa, karata i chata.",
    analytics: "Analitički",
    analytics_desc: "Pomažu nam razumjeti kako se stranica koristi kako bismo je mogli poboljšati.",
    advertising: "Oglašivački",
    advertising_desc: "Koristimo ih mi i naši partneri za prikazivanje i mjerenje personaliziranih oglasa, uključujući dijeljenje podataka s tim partnerima.",
    placeholder: "Ovaj sadržaj usluge {vendor} zahtijeva kolačiće iz kategorije \u{201e}{category}\u{201d}.",
    allow: "Dopusti",
    col_name: "Naziv",
    col_provider: "Pružatelj",
    col_purpose: "Svrha",
    col_duration: "Trajanje",
    col_party: "Vrsta",
    first_party: "Vlastiti",
    third_party: "Treće strane",
    no_cookies: "Nema prijavljenih kolačića.",
    status_heading: "Vaš trenutačni odabir",
    consent_id: "ID privole",
    date: "Datum",
    method: "Način",
    granted: "Dopušteno",
    refused: "Odbijeno",
    undecided: "Još niste ništa odabrali.",
    change: "Promijeni postavke",
    method_accept_all: "Sve prihvaćeno",
    method_reject_all: "Sve odbijeno",
    method_custom: "Vlastiti odabir",
    method_gpc: "Signal Global Privacy Control",
    method_withdrawn: "Privola povučena",
};
