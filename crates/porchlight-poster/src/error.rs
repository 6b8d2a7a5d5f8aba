//! Why a poster was refused or could not be made. Every message names the case and the fix,
//! because it is shown to the case manager as it is; none of them quotes a confidential field.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PosterError {
    /// A poster needs consent to publish at least one photo of every child on it.
    #[error("{child} (case {case_number}) has no photo with consent to publish. Record the family's consent on a photo of the child, or add a photo that has it, before printing a poster.")]
    NoConsentedPhoto { case_number: String, child: String },

    /// The public is told whom to call: without an investigating agency there is no poster.
    #[error("Case {case_number} has no law-enforcement agency. Enter the investigating agency's name under Law enforcement before printing a poster.")]
    NoAgency { case_number: String },

    /// The agency's phone number is printed in the contact block.
    #[error("Case {case_number} has no law-enforcement phone number. Enter the investigator's phone under Law enforcement before printing a poster.")]
    NoAgencyPhone { case_number: String },

    /// Posters are only printed while a child is missing.
    #[error("Case {case_number} is {status}: posters are printed only for open cases. Reopen the case if the child is missing again.")]
    CaseNotOpen { case_number: String, status: String },

    /// A poster shows one child, or two to four siblings taken together.
    #[error("A poster shows 1 to 4 children; {count} were given. Split the children over several posters.")]
    ChildCount { count: usize },

    /// A field the poster prints could not be read from the case.
    #[error("Case {case_number}: {field} — {message}")]
    Field { case_number: String, field: &'static str, message: String },

    /// A consented photo could not be read.
    #[error("The photo of {child} (case {case_number}) could not be read: {reason}. Replace it with a JPEG or PNG file.")]
    Photo { case_number: String, child: String, reason: String },

    /// The QR code links to the case's public page under this address.
    #[error("The public web address \"{url}\" cannot go into the QR code: {reason}. Use an address such as https://porchlight.example.org.")]
    BaseUrl { url: String, reason: &'static str },

    /// A bulk run was cancelled before this poster was rendered.
    #[error("Cancelled before this poster was rendered.")]
    Cancelled,

    /// The finished document could not be written out.
    #[error("The poster PDF could not be written: {reason}.")]
    Write { reason: String },

    /// The QR code could not be encoded (the address is too long for a QR code).
    #[error("The QR code for {url} could not be made: {reason}. Use a shorter public web address.")]
    QrCode { url: String, reason: String },
}
