//! The QR code to a case's public page, as runs of dark modules that `layout` draws as filled
//! rectangles (vector, so it scans at any print size).

use qrcode::{Color, EcLevel, QrCode};

/// A QR code as horizontal runs of dark modules: (row, first column, length).
pub(crate) struct QrRuns {
    /// Modules per side, without the quiet zone.
    pub width: usize,
    pub runs: Vec<(usize, usize, usize)>,
}

/// Medium error correction survives a crease or a smudge and keeps the modules large.
pub(crate) fn qr_runs(url: &str) -> Result<QrRuns, String> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).map_err(|e| e.to_string())?;
    let width = code.width();
    let colors = code.to_colors();
    let mut runs = Vec::new();
    for row in 0..width {
        let mut col = 0;
        while col < width {
            if colors[row * width + col] == Color::Dark {
                let start = col;
                while col < width && colors[row * width + col] == Color::Dark {
                    col += 1;
                }
                runs.push((row, start, col - start));
            } else {
                col += 1;
            }
        }
    }
    Ok(QrRuns { width, runs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_exactly_the_dark_modules() {
        let url = "https://porchlight.example.org/cases/PL-2611-7KQ4-XM2D";
        let qr = qr_runs(url).unwrap();
        let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).unwrap();
        let dark = code.to_colors().iter().filter(|c| **c == Color::Dark).count();
        assert_eq!(qr.runs.iter().map(|r| r.2).sum::<usize>(), dark);
        assert_eq!(qr.width, code.width());
    }
}
