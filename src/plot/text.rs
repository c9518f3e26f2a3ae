//! A bitmap backend whose text is laid out glyph by glyph with the font's side bearings.
//!
//! plotters 0.3.7 draws `ab_glyph` text by placing each glyph's bitmap at the pen position
//! without its left side bearing, so narrow glyphs such as "1" sit too far left ("1 02"
//! instead of "102"). This wrapper forwards every drawing call to [`BitMapBackend`] except
//! text, which it rasterises itself with the embedded DejaVu Sans: pen advance, kerning and
//! the glyph's own pixel bounds, anchored and rotated as plotters asks.

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters::prelude::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle,
};
use std::sync::OnceLock;

/// DejaVu Sans regular and bold, parsed once.
fn fonts() -> Option<&'static (FontRef<'static>, FontRef<'static>)> {
    static FONTS: OnceLock<Option<(FontRef<'static>, FontRef<'static>)>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let regular = FontRef::try_from_slice(dejavu::sans::regular()).ok()?;
            let bold = FontRef::try_from_slice(dejavu::sans::bold()).ok()?;
            Some((regular, bold))
        })
        .as_ref()
}

/// A glyph's coverage, pixel by pixel, relative to the text's top-left corner.
type Coverage = Vec<(i32, i32, f32)>;

/// Lay `text` out at pixel size `size`: the coverage and the (width, height) of its box
/// (advance width; ascent − descent).
fn layout(font: &FontRef<'static>, size: f64, text: &str) -> (Coverage, (i32, i32)) {
    let scaled = font.as_scaled(PxScale::from(size as f32));
    let ascent = scaled.ascent();
    let height = (ascent - scaled.descent()).ceil() as i32;
    let mut caret = 0.0f32;
    let mut previous = None;
    let mut pixels = Vec::new();
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            caret += scaled.kern(p, id);
        }
        previous = Some(id);
        let glyph = id.with_scale_and_position(scaled.scale(), point(caret, ascent));
        caret += scaled.h_advance(id);
        if let Some(outlined) = font.outline_glyph(glyph) {
            let bounds = outlined.px_bounds();
            let (x0, y0) = (bounds.min.x.round() as i32, bounds.min.y.round() as i32);
            outlined.draw(|x, y, coverage| {
                if coverage > 0.0 {
                    pixels.push((x0 + x as i32, y0 + y as i32, coverage.min(1.0)));
                }
            });
        }
    }
    (pixels, (caret.ceil() as i32, height))
}

fn font_for<S: BackendTextStyle>(style: &S) -> Option<&'static FontRef<'static>> {
    let (regular, bold) = fonts()?;
    Some(match style.style() {
        FontStyle::Bold => bold,
        _ => regular,
    })
}

/// [`BitMapBackend`] with correct glyph placement.
pub(super) struct Bitmap<'a>(pub(super) BitMapBackend<'a>);

type Failure<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> DrawingBackend for Bitmap<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Failure<'a>> {
        self.0.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Failure<'a>> {
        self.0.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Failure<'a>> {
        self.0.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Failure<'a>> {
        self.0.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure<'a>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Failure<'a>> {
        self.0.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure<'a>> {
        self.0.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Failure<'a>> {
        self.0.fill_polygon(vert, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Failure<'a>> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), Failure<'a>> {
        match font_for(style) {
            Some(font) => {
                let (_, (w, h)) = layout(font, style.size(), text);
                Ok((w.max(0) as u32, h.max(0) as u32))
            }
            None => self.0.estimate_text_size(text, style),
        }
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Failure<'a>> {
        let Some(font) = font_for(style) else {
            return self.0.draw_text(text, style, pos);
        };
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let (pixels, (width, height)) = layout(font, style.size(), text);
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0,
            HPos::Center => -width / 2,
            HPos::Right => -width,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.get_size();
        for (x, y, coverage) in pixels {
            let (x, y) = transform.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && x < w as i32 && y < h as i32 {
                self.0.draw_pixel(
                    (x, y),
                    BackendColor {
                        alpha: color.alpha * coverage as f64,
                        rgb: color.rgb,
                    },
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_have_the_same_advance_and_keep_their_bearings() {
        let (regular, _) = fonts().unwrap();
        // DejaVu's digits share one advance: "111" and "808" are equally wide.
        let (_, (w1, h1)) = layout(regular, 20.0, "111");
        let (_, (w8, _)) = layout(regular, 20.0, "808");
        assert_eq!(w1, w8);
        assert!((18..=21).contains(&h1), "{h1}");
        // The ink of "1" starts after its left side bearing (about 0.11 em), not at x = 0.
        let (pixels, _) = layout(regular, 100.0, "1");
        let left = pixels.iter().map(|p| p.0).min().unwrap() as f32;
        let scaled = regular.as_scaled(PxScale::from(100.0));
        let bearing = scaled.h_side_bearing(scaled.glyph_id('1'));
        assert!(
            bearing > 5.0 && (left - bearing).abs() <= 1.0,
            "{left} against {bearing}"
        );
    }
}
