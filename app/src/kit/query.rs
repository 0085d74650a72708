//! A lab's settings as a URL query, from one table per lab.
//!
//! Every setting is one row of its lab's table ([`LabState::settings`]): a
//! [`Num`] (key, range, slider scale) or a [`Pick`] (key, named options).
//! The same row parses the URL, writes it back, draws the control, and
//! drives the property tests, so a bound lives in one place.
//!
//! Parsing has two stages, as everywhere input enters gradlab: the query
//! is read as plain `(key, value)` strings (unknown keys ignored), then
//! each row checks its value into the typed state, clamping or replacing
//! what is out of range with one short message per change.

use std::fmt::Display;
use std::str::FromStr;

/// Longest part of a rejected value a message quotes.
const QUOTE_CHARS: usize = 32;

/// A lab's settings: a typed struct, read from and written to its URL
/// query through the lab's table of [`Setting`]s.
pub trait LabState: Clone + Default + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// The `lab` query value.
    const LAB: &'static str;
    /// Whether the query names the lab (`lab=…`); the playground, which a
    /// query without `lab` opens, does not.
    const NAMED: bool = true;

    /// Every setting, in the order the URL lists them.
    fn settings() -> &'static [&'static dyn Setting<Self>];

    /// Rules between settings (e.g. a regression task forces the MSE
    /// loss), applied after a query is read, with notes in `c`, and after
    /// every change a control makes, with an empty `c`.
    fn reconcile(&mut self, _c: &mut Checker) {}

    /// Applies the rules between settings after a control changed one.
    fn settle(&mut self) {
        self.reconcile(&mut Checker::default());
    }

    /// Parses and checks a query (with or without its `?`): the settings
    /// and one message per value that had to change.
    #[must_use]
    fn from_query(query: &str) -> (Self, Vec<String>) {
        let mut c = Checker::read(query);
        let mut s = Self::default();
        for row in Self::settings() {
            if let Some(text) = c.value(row.key()) {
                row.read(&mut s, &text, &mut c);
            }
        }
        s.reconcile(&mut c);
        (s, c.messages)
    }

    /// The canonical query for these settings (no leading `?`).
    #[must_use]
    fn to_query(&self) -> String {
        let lab = Self::NAMED.then_some(("lab", Self::LAB.to_owned()));
        let pairs: Vec<(&str, String)> = lab.into_iter().chain(Self::settings().iter().map(|row| (row.key(), row.write(self)))).collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// One row of a lab's settings table.
pub trait Setting<S>: Sync {
    /// The URL key.
    fn key(&self) -> &'static str;
    /// Checks `text` into `s`, saying in `c` what had to change.
    fn read(&self, s: &mut S, text: &str, c: &mut Checker);
    /// The value as the URL writes it.
    fn write(&self, s: &S) -> String;
    /// What a property test needs to know of the row.
    fn shape(&self) -> Shape;
}

/// A row as a property test sees it.
#[derive(Clone, Debug)]
pub enum Shape {
    /// The bounds as the URL writes them; `whole`: an integer setting.
    Num { lo: String, hi: String, whole: bool },
    /// The options' URL names.
    Pick(Vec<&'static str>),
    /// Free text the row parses: valid examples, and an independent check.
    Text { examples: Vec<&'static str>, valid: fn(&str) -> bool },
}

/// A number type a setting can hold.
pub trait Number: Copy + PartialOrd + Display + FromStr + Send + Sync + 'static {
    /// Integers say "not a whole number" to fractions.
    const WHOLE: bool;
    fn to_f64(self) -> f64;
    /// The nearest value (rounded for integers).
    fn from_f64(v: f64) -> Self;
}

macro_rules! number {
    ($($t:ty => $whole:expr),*) => {$(
        impl Number for $t {
            const WHOLE: bool = $whole;
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn from_f64(v: f64) -> Self {
                if $whole { v.round() as $t } else { v as $t }
            }
        }
    )*};
}
number!(usize => true, u32 => true, u64 => true, f32 => false, f64 => false);

/// A numeric setting: its key, its range, and how its slider shows it.
pub struct Num<S, T> {
    pub key: &'static str,
    /// The slider's label.
    pub label: &'static str,
    pub lo: T,
    pub hi: T,
    /// Slider positions, and whether they are spaced logarithmically.
    pub steps: u32,
    pub log: bool,
    /// How the slider shows a value, where the default does not fit.
    pub shown: Option<fn(f64) -> String>,
    pub get: fn(&S) -> T,
    pub set: fn(&mut S, T),
}

impl<S, T: Number> Num<S, T> {
    /// Clamps `v` into the range.
    #[must_use]
    pub fn clamp(&self, v: T) -> T {
        if v < self.lo {
            self.lo
        } else if v > self.hi {
            self.hi
        } else {
            v
        }
    }
}

impl<S: Default, T: Number> Setting<S> for Num<S, T> {
    fn key(&self) -> &'static str {
        self.key
    }

    fn read(&self, s: &mut S, text: &str, c: &mut Checker) {
        let default = (self.get)(&S::default());
        let v = c.number(self.key, text, default, (self.lo, self.hi));
        (self.set)(s, v);
    }

    fn write(&self, s: &S) -> String {
        (self.get)(s).to_string()
    }

    fn shape(&self) -> Shape {
        Shape::Num { lo: self.lo.to_string(), hi: self.hi.to_string(), whole: T::WHOLE }
    }
}

/// A value with a name in the URL and a text in a select.
pub trait Named: Copy + PartialEq + Send + Sync + 'static {
    /// Every value, in the order a select lists them.
    fn all() -> &'static [Self];
    /// The URL's name.
    fn name(self) -> &'static str;
    /// What a select shows.
    fn text(self) -> &'static str {
        self.name()
    }
    /// The value named `name`.
    #[must_use]
    fn named(name: &str) -> Option<Self> {
        Self::all().iter().copied().find(|v| v.name() == name)
    }
}

/// A setting chosen among named values.
pub struct Pick<S, T> {
    pub key: &'static str,
    /// The select's label.
    pub label: &'static str,
    pub get: fn(&S) -> T,
    pub set: fn(&mut S, T),
}

impl<S: Default, T: Named> Setting<S> for Pick<S, T> {
    fn key(&self) -> &'static str {
        self.key
    }

    fn read(&self, s: &mut S, text: &str, c: &mut Checker) {
        match T::named(text.trim()) {
            Some(v) => (self.set)(s, v),
            None => {
                let names: Vec<&str> = T::all().iter().map(|v| v.name()).collect();
                c.note(format!("{}={} is not one of {}; using the default.", self.key, quote(text), names.join(", ")));
            }
        }
    }

    fn write(&self, s: &S) -> String {
        (self.get)(s).name().to_owned()
    }

    fn shape(&self) -> Shape {
        Shape::Pick(T::all().iter().map(|v| v.name()).collect())
    }
}

/// At most [`QUOTE_CHARS`] characters of a value, for a message.
#[must_use]
pub fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The query's pairs while they are checked, and what had to change.
#[derive(Debug, Default)]
pub struct Checker {
    pairs: Vec<(String, String)>,
    pub messages: Vec<String>,
}

impl Checker {
    /// Reads a query's `(key, value)` pairs.
    #[must_use]
    pub fn read(query: &str) -> Self {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut c = Self { pairs: Vec::new(), messages: Vec::new() };
        match serde_urlencoded::from_str::<Vec<(String, String)>>(query) {
            Ok(pairs) => c.pairs = pairs,
            Err(_) => c.note("The link's settings could not be read; using the defaults.".into()),
        }
        c
    }

    /// Records a message for the page.
    pub fn note(&mut self, message: String) {
        self.messages.push(message);
    }

    /// Whether the query gives `key`.
    #[must_use]
    pub fn given(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == key)
    }

    /// The value of `key`; the last one (with a message) if it is repeated.
    pub fn value(&mut self, key: &str) -> Option<String> {
        let values: Vec<&String> = self.pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v).collect();
        let last = (*values.last()?).clone();
        if values.len() > 1 {
            self.note(format!("{key} is given {} times; using the last, {key}={}.", values.len(), quote(&last)));
        }
        Some(last)
    }

    /// Checks a number into `lo..=hi`: out of range is clamped, anything
    /// else unreadable falls back to `default`, each with a message.
    pub fn number<T: Number>(&mut self, key: &str, text: &str, default: T, (lo, hi): (T, T)) -> T {
        let t = text.trim();
        let shown = quote(text);
        // Integers too large for their type, negative or fractional fail
        // to parse as one; read them as f64 to say which.
        let parsed = t.parse::<T>().ok();
        let v = parsed.map_or_else(|| t.parse::<f64>().unwrap_or(f64::NAN), T::to_f64);
        if v.is_nan() {
            self.note(format!("{key}={shown} is not a number; using {default}."));
            default
        } else if v < lo.to_f64() {
            self.note(format!("{key}={shown} is below the minimum {lo}; using {lo}."));
            lo
        } else if v > hi.to_f64() {
            self.note(format!("{key}={shown} is above the maximum {hi}; using {hi}."));
            hi
        } else if let Some(v) = parsed {
            v
        } else {
            self.note(format!("{key}={shown} is not a whole number; using {default}."));
            default
        }
    }
}

/// A numeric row of a lab's settings table (the state type `S` in scope),
/// keyed in the URL by its field's name:
/// `num!(WIDTH, width: usize, 1, 1024, "width", log 100);` (slider label,
/// then a log or linear scale of so many steps, and optionally `shown`
/// and how the slider writes a value).
macro_rules! num {
    ($row:ident, $field:ident: $t:ty, $lo:expr, $hi:expr, $label:literal, $scale:ident $steps:literal $(, shown $shown:expr)?) => {
        pub static $row: $crate::kit::Num<S, $t> = $crate::kit::Num {
            key: stringify!($field),
            label: $label,
            lo: $lo,
            hi: $hi,
            steps: $steps,
            log: $crate::kit::query::num!(@log $scale),
            shown: $crate::kit::query::num!(@shown $($shown)?),
            get: |s| s.$field,
            set: |s, v| s.$field = v,
        };
    };
    (@log log) => {
        true
    };
    (@log linear) => {
        false
    };
    (@shown) => {
        None
    };
    (@shown $shown:expr) => {
        Some($shown)
    };
}
pub(crate) use num;

/// A row of named choices (see [`num!`]): `pick!(ACT, act: Activation, "activation");`.
macro_rules! pick {
    ($row:ident, $field:ident: $t:ty, $label:literal) => {
        pub static $row: $crate::kit::Pick<S, $t> =
            $crate::kit::Pick { key: stringify!($field), label: $label, get: |s| s.$field, set: |s, v| s.$field = v };
    };
}
pub(crate) use pick;

/// A mini-batch size of 0 (full batch) or a power of two up to `hi`:
/// another is raised to the next one, with a note.
pub fn power_of_two_batch(batch: &mut usize, hi: usize, c: &mut Checker) {
    if *batch != 0 && !batch.is_power_of_two() {
        let p = batch.next_power_of_two().min(hi);
        c.note(format!("batch={batch} is not a power of two; using {p}."));
        *batch = p;
    }
}

/// [`Named`] for an enum: each variant's URL name and, after a `/`, the
/// text a select shows (the name where none is given):
/// `named!(PlaneKind { Random = "random" / "random, filter-normalized", Pca = "pca" });`
/// or, for an enum with its own `name()` and a constant listing its
/// values, the texts that differ from the names:
/// `named!(Loss: ALL; Mse / "mean squared error");`.
macro_rules! named {
    ($t:ident: $all:ident $(; $($v:ident / $text:literal),+)?) => {
        impl $crate::kit::Named for $t {
            fn all() -> &'static [Self] {
                &$t::$all
            }
            fn name(self) -> &'static str {
                $t::name(self)
            }
            fn text(self) -> &'static str {
                #[allow(unreachable_patterns)]
                match self {
                    $($($t::$v { .. } => $text,)+)?
                    _ => $t::name(self),
                }
            }
        }
    };
    ($t:ident { $($v:ident = $name:literal $(/ $text:literal)?),+ $(,)? }) => {
        impl $crate::kit::Named for $t {
            fn all() -> &'static [Self] {
                &[$($t::$v),+]
            }
            fn name(self) -> &'static str {
                match self {
                    $($t::$v => $name),+
                }
            }
            fn text(self) -> &'static str {
                match self {
                    $($t::$v => [$($text,)? $name][0]),+
                }
            }
        }
    };
}
pub(crate) use named;

/// A lab's view (`view=` in its URL): one of its pictures, or all of them.
pub trait LabView: Named {
    /// The view that shows every picture.
    const ALL: Self;

    /// Whether `self` (the page's choice) shows `view`.
    fn shows(self, view: Self) -> bool {
        self == Self::ALL || self == view
    }
}
