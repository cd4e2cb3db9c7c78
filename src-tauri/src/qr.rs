//! QR codes of the text an enrolment moves by hand (a request, a certificate, a
//! revocation), drawn here as SVG with a maintained crate so the web view only shows
//! an image: the UI never builds markup from text.

use qrcode::{EcLevel, QrCode, render::svg};

/// The SVG of a QR code holding exactly `text`, or `None` when it is too long for one
/// (then the text is what to move).
pub fn svg(text: &str) -> Option<String> {
    // Medium error correction: a screen photographed at an angle still reads.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        // Four pixels a module: a certificate's denser code stays as easy to read
        // from the screen as a request's (the image grows instead).
        code.render::<svg::Color<'_>>()
            .module_dimensions(4, 4)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_fits_and_too_much_text_does_not() {
        let req = format!("SATCHEL-ENROL-{}", "A".repeat(300));
        let s = svg(&req).unwrap();
        assert!(s.starts_with("<?xml") && s.contains("<svg") && s.ends_with("</svg>"));
        assert!(
            !s.contains(&req),
            "the text is in the code, not in the markup"
        );
        assert_eq!(svg(&"x".repeat(5000)), None);
    }
}
