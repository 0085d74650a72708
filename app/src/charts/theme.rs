//! The page's colour themes (light, dark, projector) as the charts see
//! them, and the colour-blind-safe series palette. The page's own colours
//! are CSS (`gradlab.css`, `[data-theme]`); these match them.

use std::cell::Cell;

use plotters::style::RGBColor;

use super::{CLASS0, CLASS1, GREY_RGB};

/// A colour as the charts name it.
pub type Rgb = (u8, u8, u8);

/// Chart colours and sizes of one theme.
#[derive(Debug, PartialEq)]
pub struct Theme {
    /// The `theme=` URL value.
    pub name: &'static str,
    pub bg: RGBColor,
    /// Text and axes.
    pub ink: RGBColor,
    /// Grid lines.
    pub grid: RGBColor,
    /// Reference lines and secondary series (what [`GREY_RGB`] stands for).
    pub muted: RGBColor,
    /// Text and marks, relative to the light theme.
    pub scale: f64,
    /// Data colours this theme draws differently (light-theme colour →
    /// this theme's), for contrast with its background.
    pub swaps: &'static [(Rgb, Rgb)],
}

pub const LIGHT: Theme = Theme {
    name: "light",
    bg: RGBColor(255, 255, 255),
    ink: RGBColor(29, 35, 43),
    grid: RGBColor(235, 235, 235),
    muted: RGBColor(90, 90, 90),
    scale: 1.0,
    swaps: &[],
};

pub const DARK: Theme = Theme {
    name: "dark",
    bg: RGBColor(24, 29, 36),
    ink: RGBColor(226, 231, 237),
    grid: RGBColor(50, 58, 68),
    muted: RGBColor(160, 168, 178),
    scale: 1.0,
    swaps: &[(CLASS0, (60, 116, 186)), (SERIES[1], (120, 200, 240))],
};

/// For projectors in lit halls: black on white, bigger, bolder.
pub const PROJECTOR: Theme = Theme {
    name: "projector",
    bg: RGBColor(255, 255, 255),
    ink: RGBColor(0, 0, 0),
    grid: RGBColor(210, 210, 210),
    muted: RGBColor(50, 50, 50),
    scale: 1.3,
    swaps: &[(SERIES[0], (136, 34, 85)), (SERIES[1], (51, 34, 136)), (CLASS1, (190, 80, 0))],
};

pub const THEMES: [&Theme; 3] = [&LIGHT, &DARK, &PROJECTOR];

/// Lines told apart by colour (Okabe & Ito's reddish purple and sky blue,
/// then the class colours): every pair stays distinct under protanopia,
/// deuteranopia and tritanopia (tested below; Okabe & Ito's bluish green
/// beside the purple fails under deuteranopia, ΔE 17.9).
pub const SERIES: [(u8, u8, u8); 4] = [(204, 121, 167), (86, 180, 233), CLASS0, CLASS1];

thread_local! {
    static CURRENT: Cell<&'static Theme> = const { Cell::new(&LIGHT) };
}

impl Theme {
    /// The theme named `name`, if there is one.
    #[must_use]
    pub fn named(name: &str) -> Option<&'static Self> {
        THEMES.into_iter().find(|t| t.name == name)
    }

    /// The page's theme (light until [`Theme::set`]).
    #[must_use]
    pub fn current() -> &'static Self {
        CURRENT.get()
    }

    pub fn set(theme: &'static Self) {
        CURRENT.set(theme);
    }

    /// A data colour as this theme draws it: [`GREY_RGB`] is the muted ink,
    /// and the theme's swaps apply.
    #[must_use]
    pub fn rgb(&self, c: (u8, u8, u8)) -> RGBColor {
        if c == GREY_RGB {
            return self.muted;
        }
        let (r, g, b) = self.swaps.iter().find(|s| s.0 == c).map_or(c, |s| s.1);
        RGBColor(r, g, b)
    }
}

/// Colour-vision deficiency simulation (Machado, Oliveira & Fernandes
/// 2009, severity 1) and perceptual distance, for the palette tests.
#[cfg(test)]
mod vision {
    fn linear(c: u8) -> f64 {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }

    pub const PROTAN: [[f64; 3]; 3] = [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]];
    pub const DEUTAN: [[f64; 3]; 3] = [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]];
    pub const TRITAN: [[f64; 3]; 3] = [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]];
    pub const NORMAL: [[f64; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

    /// CIELAB (D65) of sRGB colour `c` as seen through `m`.
    pub fn lab(c: (u8, u8, u8), m: [[f64; 3]; 3]) -> [f64; 3] {
        let rgb = [linear(c.0), linear(c.1), linear(c.2)];
        let seen: Vec<f64> = m.iter().map(|row| (row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2]).clamp(0.0, 1.0)).collect();
        let xyz = [
            0.4124 * seen[0] + 0.3576 * seen[1] + 0.1805 * seen[2],
            0.2126 * seen[0] + 0.7152 * seen[1] + 0.0722 * seen[2],
            0.0193 * seen[0] + 0.1192 * seen[1] + 0.9505 * seen[2],
        ];
        let f = |t: f64| if t > 0.008856 { t.cbrt() } else { 7.787 * t + 16.0 / 116.0 };
        let (fx, fy, fz) = (f(xyz[0] / 0.95047), f(xyz[1]), f(xyz[2] / 1.08883));
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    /// CIE76 ΔE between two colours as seen through `m`.
    pub fn distance(a: (u8, u8, u8), b: (u8, u8, u8), m: [[f64; 3]; 3]) -> f64 {
        let (a, b) = (lab(a, m), lab(b, m));
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
    }

    /// WCAG contrast ratio of two colours.
    pub fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
        let l = |c: (u8, u8, u8)| 0.2126 * linear(c.0) + 0.7152 * linear(c.1) + 0.0722 * linear(c.2);
        let (la, lb) = (l(a), l(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }
}

#[cfg(test)]
mod tests {
    use super::vision::{contrast, distance, DEUTAN, NORMAL, PROTAN, TRITAN};
    use super::*;

    fn tuple(c: RGBColor) -> (u8, u8, u8) {
        (c.0, c.1, c.2)
    }

    /// The series colours as `theme` draws them.
    fn series(theme: &Theme) -> Vec<(u8, u8, u8)> {
        SERIES.iter().map(|&c| tuple(theme.rgb(c))).collect()
    }

    #[test]
    fn series_colours_stay_apart_for_every_colour_vision() {
        // ΔE ≥ 20 is clearly distinct side by side; a naive red/green pair
        // scores about 10 under deuteranopia.
        for theme in THEMES {
            let series = series(theme);
            for (name, m) in [("normal", NORMAL), ("protanopia", PROTAN), ("deuteranopia", DEUTAN), ("tritanopia", TRITAN)] {
                for (i, &a) in series.iter().enumerate() {
                    for &b in &series[i + 1..] {
                        let d = distance(a, b, m);
                        assert!(d >= 20.0, "{}: {a:?} and {b:?} are ΔE {d:.1} apart under {name}", theme.name);
                    }
                }
            }
        }
        assert!(distance((213, 94, 0), (0, 158, 115), DEUTAN) > distance((220, 40, 40), (40, 160, 40), DEUTAN));
        assert!(distance((220, 40, 40), (40, 160, 40), DEUTAN) < 20.0, "the simulation must catch red against green");
    }

    #[test]
    fn text_and_lines_contrast_with_every_background() {
        for t in THEMES {
            let ink = contrast(tuple(t.ink), tuple(t.bg));
            assert!(ink >= 7.0, "{}: text contrast {ink:.1}", t.name);
            assert!(contrast(tuple(t.muted), tuple(t.bg)) >= 4.5, "{}: muted ink", t.name);
            // WCAG asks 3:1 of graphics; the light theme keeps Okabe & Ito's
            // sky blue and orange (2.3:1, 2.9:1): projector is for halls.
            let least = if t == &LIGHT { 2.3 } else { 3.0 };
            for c in series(t) {
                let ratio = contrast(c, tuple(t.bg));
                assert!(ratio >= least, "{}: series colour {c:?} has contrast {ratio:.2}", t.name);
            }
        }
        assert!(series(&PROJECTOR).iter().all(|&c| contrast(c, tuple(PROJECTOR.bg)) >= 4.5));
        assert!(contrast(tuple(PROJECTOR.ink), tuple(PROJECTOR.bg)) > 20.0);
    }

    #[test]
    fn themes_are_found_by_name_and_map_the_muted_colour() {
        assert_eq!(Theme::named("dark"), Some(&DARK));
        assert_eq!(Theme::named("sepia"), None);
        assert_eq!(DARK.rgb(GREY_RGB), DARK.muted);
        assert_eq!(DARK.rgb(CLASS1), RGBColor(CLASS1.0, CLASS1.1, CLASS1.2));
    }
}
