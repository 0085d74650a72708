//! Where a chart is drawn: the page's canvas, or an SVG document for
//! export. Every chart draws through a [`Surface`], so the picture on the
//! page and the exported file come from the same code, in the page's theme.

use std::cell::Cell;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::theme::Theme;

/// A chart's drawing target with its sizes and theme.
pub struct Surface<'a> {
    target: Target<'a>,
    /// Backend pixels per design pixel: every size in the draw code (fonts,
    /// margins, strokes) is multiplied by it, so charts scale with the
    /// device's pixel ratio, the frame and the theme.
    pub unit: f64,
    pub theme: &'static Theme,
}

enum Target<'a> {
    Canvas(&'a HtmlCanvasElement),
    /// Taken by [`Surface::root`], which hands the string to plotters.
    Svg(Option<&'a mut String>, (u32, u32)),
}

/// How much bigger than at 380 px a chart of `(w, h)` CSS pixels draws its
/// text and marks: small embeds stay legible, a full-screen one reads
/// from the back of a hall.
fn frame_scale((w, h): (f64, f64)) -> f64 {
    (w.min(h) / 380.0).clamp(0.8, 1.6)
}

impl<'a> Surface<'a> {
    /// The page's canvas, its backing store sized to its CSS box at the
    /// device's pixel ratio.
    #[must_use]
    pub fn canvas(canvas: &'a HtmlCanvasElement) -> Self {
        let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).max(1.0);
        let (w, h) = (f64::from(canvas.client_width().max(50)), f64::from(canvas.client_height().max(50)));
        let (pw, ph) = ((w * dpr) as u32, (h * dpr) as u32);
        if canvas.width() != pw || canvas.height() != ph {
            canvas.set_width(pw);
            canvas.set_height(ph);
        }
        let theme = Theme::current();
        Self { target: Target::Canvas(canvas), unit: dpr * frame_scale((w, h)) * theme.scale, theme }
    }

    /// An SVG document of `size` CSS pixels, written into `out`.
    #[must_use]
    pub fn svg(out: &'a mut String, size: (u32, u32)) -> Self {
        let theme = Theme::current();
        let unit = frame_scale((f64::from(size.0), f64::from(size.1))) * theme.scale;
        Self { target: Target::Svg(Some(out), size), unit, theme }
    }

    /// The whole area, filled with the theme's background (once: an SVG
    /// surface has one root).
    pub fn root(&mut self) -> Option<DrawingArea<Backend<'a>, Shift>> {
        let backend = match &mut self.target {
            Target::Canvas(c) => Backend::Canvas(CanvasBackend::with_canvas_object((*c).clone())?),
            Target::Svg(out, size) => Backend::Svg(SVGBackend::with_string(out.take()?, *size)),
        };
        let root = backend.into_drawing_area();
        let _ = root.fill(&self.theme.bg);
        Some(root)
    }

    /// Whether this draws on the page (not into an SVG document, where
    /// every pixel of a smooth image is a rectangle).
    #[must_use]
    pub fn on_page(&self) -> bool {
        matches!(self.target, Target::Canvas(_))
    }

    /// `v` design pixels in backend pixels.
    #[must_use]
    pub fn px(&self, v: f64) -> i32 {
        (v * self.unit).round() as i32
    }

    /// A stroke of `v` design pixels (at least one backend pixel).
    #[must_use]
    pub fn stroke(&self, v: f64) -> u32 {
        ((v * self.unit).round() as u32).max(1)
    }

    /// Chart text of `size` design pixels in the theme's ink.
    #[must_use]
    pub fn font(&self, size: f64) -> TextStyle<'static> {
        ("sans-serif", size * self.unit).into_font().color(&self.theme.ink)
    }

    /// Centred text above a point.
    #[must_use]
    pub fn label_font(&self, size: f64) -> TextStyle<'static> {
        self.font(size).pos(Pos::new(HPos::Center, VPos::Bottom))
    }

    /// Draws an RGBA image of `size` pixels stretched over `area` (a
    /// chart's plotting area in backend pixels); `smooth` interpolates,
    /// otherwise every pixel stays a block. On a canvas it is one image; in
    /// SVG a grid of at most 128² rectangles ([`resample`]d to that).
    pub fn raster(
        &self,
        root: &DrawingArea<Backend<'a>, Shift>,
        pixels: &[u8],
        (w, h): (u32, u32),
        (xr, yr): (std::ops::Range<i32>, std::ops::Range<i32>),
        smooth: bool,
    ) {
        let Target::Canvas(canvas) = &self.target else {
            let size = if smooth { (SVG_RASTER, SVG_RASTER) } else { (w.min(SVG_RASTER), h.min(SVG_RASTER)) };
            let image = resample(pixels, (w, h), size, smooth);
            let (x0, y0) = (f64::from(xr.start), f64::from(yr.start));
            let (dx, dy) = (f64::from(xr.end - xr.start) / f64::from(size.0), f64::from(yr.end - yr.start) / f64::from(size.1));
            let at = |i: u32, j: u32| ((x0 + f64::from(i) * dx).round() as i32, (y0 + f64::from(j) * dy).round() as i32);
            for j in 0..size.1 {
                for i in 0..size.0 {
                    let p = &image[((j * size.0 + i) * 3) as usize..][..3];
                    // One pixel of overlap, so viewers' anti-aliasing leaves no seams.
                    let (x1, y1) = at(i + 1, j + 1);
                    let corner = (if i + 1 < size.0 { x1 + 1 } else { x1 }, if j + 1 < size.1 { y1 + 1 } else { y1 });
                    let _ = root.draw(&Rectangle::new([at(i, j), corner], RGBColor(p[0], p[1], p[2]).filled()));
                }
            }
            return;
        };
        blit(canvas, pixels, (w, h), (xr, yr), smooth);
    }
}

/// Rectangles a side of an SVG raster, at most.
const SVG_RASTER: u32 = 128;

/// An RGBA image of `from` pixels as RGB at `to` pixels: bilinear if
/// `smooth`, else each target pixel the mean of the source pixels it
/// covers (or the one it falls in, when enlarging), so shrinking a large
/// Gram matrix averages it instead of dropping entries.
#[must_use]
pub fn resample(pixels: &[u8], (w, h): (u32, u32), (tw, th): (u32, u32), smooth: bool) -> Vec<u8> {
    let px = |i: u32, j: u32, c: usize| f64::from(pixels.get(((j * w + i) * 4) as usize + c).copied().unwrap_or(0));
    let mut out = Vec::with_capacity((tw * th * 3) as usize);
    for j in 0..th {
        for i in 0..tw {
            for c in 0..3 {
                let v = if smooth {
                    let sx = ((f64::from(i) + 0.5) * f64::from(w) / f64::from(tw) - 0.5).clamp(0.0, f64::from(w - 1));
                    let sy = ((f64::from(j) + 0.5) * f64::from(h) / f64::from(th) - 0.5).clamp(0.0, f64::from(h - 1));
                    let (i0, j0) = (sx.floor() as u32, sy.floor() as u32);
                    let (i1, j1) = ((i0 + 1).min(w - 1), (j0 + 1).min(h - 1));
                    let (fx, fy) = (sx - f64::from(i0), sy - f64::from(j0));
                    let top = px(i0, j0, c) * (1.0 - fx) + px(i1, j0, c) * fx;
                    let bottom = px(i0, j1, c) * (1.0 - fx) + px(i1, j1, c) * fx;
                    top * (1.0 - fy) + bottom * fy
                } else {
                    let (a0, a1) = (i * w / tw, ((i + 1) * w / tw).max(i * w / tw + 1));
                    let (b0, b1) = (j * h / th, ((j + 1) * h / th).max(j * h / th + 1));
                    let sum: f64 = (b0..b1).flat_map(|b| (a0..a1).map(move |a| (a, b))).map(|(a, b)| px(a, b, c)).sum();
                    sum / f64::from((a1 - a0) * (b1 - b0))
                };
                out.push(v.round() as u8);
            }
        }
    }
    out
}

thread_local! {
    /// The off-screen canvas that images pass through on their way to a
    /// chart (one for the page: drawing is single-threaded).
    static SCRATCH: Cell<Option<HtmlCanvasElement>> = const { Cell::new(None) };
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// The size of `text` as a canvas draws it, measured by a 2D context of
/// its own. plotters measures text with a `<span>` added to the page and
/// read back, a layout of the whole page for every label: most of a chart
/// redraw's time.
fn measure_text<T: BackendTextStyle>(text: &str, style: &T) -> Option<(u32, u32)> {
    thread_local! {
        static MEASURE: Option<CanvasRenderingContext2d> = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("canvas").ok())
            .and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok())
            .and_then(|c| context(&c));
    }
    MEASURE.with(|ctx| {
        let ctx = ctx.as_ref()?;
        // The font as plotters-canvas sets it to draw.
        ctx.set_font(&format!("{} {}px {}", style.style().as_str(), style.size(), style.family().as_str()));
        let m = ctx.measure_text(text).ok()?;
        Some((m.width().ceil() as u32, (m.font_bounding_box_ascent() + m.font_bounding_box_descent()).ceil() as u32))
    })
}

fn blit(
    canvas: &HtmlCanvasElement,
    pixels: &[u8],
    (w, h): (u32, u32),
    (xr, yr): (std::ops::Range<i32>, std::ops::Range<i32>),
    smooth: bool,
) {
    let scratch = SCRATCH.take().or_else(|| {
        let doc = web_sys::window()?.document()?;
        doc.create_element("canvas").ok()?.dyn_into().ok()
    });
    let Some(scratch) = scratch else { return };
    scratch.set_width(w);
    scratch.set_height(h);
    if let (Some(sctx), Some(ctx), Ok(img)) =
        (context(&scratch), context(canvas), ImageData::new_with_u8_clamped_array_and_sh(Clamped(pixels), w, h))
    {
        let _ = sctx.put_image_data(&img, 0.0, 0.0);
        ctx.set_image_smoothing_enabled(smooth);
        let (x, y) = (f64::from(xr.start), f64::from(yr.start));
        let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(&scratch, x, y, f64::from(xr.end) - x, f64::from(yr.end) - y);
    }
    SCRATCH.set(Some(scratch));
}

/// The canvas backend or the SVG one, as one type, so a chart's code is
/// written once for both.
pub enum Backend<'a> {
    Canvas(CanvasBackend),
    Svg(SVGBackend<'a>),
}

/// A drawing error of either backend, as text.
#[derive(Debug)]
pub struct BackendError(String);

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BackendError {}

fn cast<E: std::error::Error + Send + Sync>(e: DrawingErrorKind<E>) -> DrawingErrorKind<BackendError> {
    match e {
        DrawingErrorKind::DrawingError(e) => DrawingErrorKind::DrawingError(BackendError(e.to_string())),
        DrawingErrorKind::FontError(e) => DrawingErrorKind::FontError(e),
    }
}

/// Calls the same method on whichever backend this is.
macro_rules! both {
    ($self:expr, $b:ident => $call:expr) => {
        match $self {
            Backend::Canvas($b) => $call.map_err(cast),
            Backend::Svg($b) => $call.map_err(cast),
        }
    };
}

impl DrawingBackend for Backend<'_> {
    type ErrorType = BackendError;

    fn get_size(&self) -> (u32, u32) {
        match self {
            Backend::Canvas(b) => b.get_size(),
            Backend::Svg(b) => b.get_size(),
        }
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.ensure_prepared())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.present())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.draw_pixel(point, color))
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.draw_line(from, to, style))
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.draw_rect(upper_left, bottom_right, style, fill))
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.draw_path(path, style))
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.draw_circle(center, radius, style, fill))
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.fill_polygon(vert, style))
    }

    fn draw_text<T: BackendTextStyle>(&mut self, text: &str, style: &T, pos: BackendCoord) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.draw_text(text, style, pos))
    }

    fn estimate_text_size<T: BackendTextStyle>(&self, text: &str, style: &T) -> Result<(u32, u32), DrawingErrorKind<BackendError>> {
        match self {
            Backend::Canvas(b) => measure_text(text, style).map_or_else(|| b.estimate_text_size(text, style).map_err(cast), Ok),
            Backend::Svg(b) => b.estimate_text_size(text, style).map_err(cast),
        }
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<(), DrawingErrorKind<BackendError>> {
        both!(self, b => b.blit_bitmap(pos, size, src))
    }
}

#[cfg(test)]
mod tests {
    use super::{frame_scale, resample};

    #[test]
    fn rasters_shrink_by_averaging_and_grow_smoothly() {
        // 4×2: a black and a white 2×2 block side by side.
        let mut img = Vec::new();
        for _ in 0..2 {
            for v in [0u8, 0, 255, 255] {
                img.extend_from_slice(&[v, v, v, 255]);
            }
        }
        assert_eq!(resample(&img, (4, 2), (2, 1), false), vec![0, 0, 0, 255, 255, 255]);
        assert_eq!(resample(&img, (4, 2), (1, 1), false), vec![128, 128, 128]);
        assert_eq!(resample(&img, (4, 2), (8, 2), false)[..6], [0, 0, 0, 0, 0, 0]);
        let smooth = resample(&img, (4, 2), (8, 1), true);
        let reds: Vec<u8> = smooth.chunks(3).map(|p| p[0]).collect();
        assert_eq!(reds.first(), Some(&0));
        assert_eq!(reds.last(), Some(&255));
        assert!(reds.windows(2).all(|w| w[0] <= w[1]), "a ramp across the edge: {reds:?}");
        assert!(reds.iter().any(|&r| r > 0 && r < 255));
    }

    #[test]
    fn text_grows_with_the_frame_within_bounds() {
        assert_eq!(frame_scale((300.0, 200.0)), 0.8);
        assert!((frame_scale((760.0, 570.0)) - 1.5).abs() < 1e-12);
        assert_eq!(frame_scale((3000.0, 2000.0)), 1.6);
    }
}
