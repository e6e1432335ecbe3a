//! Integration tests of rushes-slate: the table of noisy OCR strings, spans, and properties.

mod properties;
mod spans;
mod table;
