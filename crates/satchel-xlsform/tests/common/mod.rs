//! Workbooks the tests write, as a spreadsheet program would.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};

/// A sheet's rows of cells.
pub(crate) type Rows<'a> = &'a [&'a [&'a str]];

/// A workbook of the given sheets; a cell `#12` is written as the number 12, as
/// spreadsheet programs store typed numbers. Its date is fixed, so the same sheets
/// give the same file.
pub(crate) fn book(sheets: &[(&str, Rows)]) -> Vec<u8> {
    let mut wb = Workbook::new();
    if let Ok(when) = ExcelDateTime::from_ymd(2026, 12, 1) {
        wb.set_properties(&DocProperties::new().set_creation_datetime(&when));
    }
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                if let Some(n) = cell.strip_prefix('#') {
                    ws.write_number(r as u32, c as u16, n.parse::<f64>().unwrap())
                        .unwrap();
                } else {
                    ws.write_string(r as u32, c as u16, *cell).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}
