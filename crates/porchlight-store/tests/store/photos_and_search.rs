//! Photos and instant search through the store, on real encrypted files: files checked by
//! their bytes (wrong type, too large, damaged), content addressing, EXIF orientation and date,
//! thumbnails, the primary photo, audit lines; and a search index that follows every edit,
//! archive, note and contact, folds diacritics, matches the word being typed, survives any input
//! and filters. Every person and image here is generated.

use super::*;
use image::{DynamicImage, GenericImageView, ImageFormat, Rgb, RgbImage};
use porchlight_domain::{
    AuditAction, CaseStatus, ContactFields, NoteCategory, NoteInput, PhotoKind, PhotoMeta, Relationship, SearchQuery, SearchResults, Segment,
    StatusChange,
};

fn today() -> NaiveDate {
    now().local.date()
}

fn child_photo() -> PhotoMeta {
    PhotoMeta { kind: Some(PhotoKind::Photo), source: "mother".into(), consent_to_publish: true, ..Default::default() }
}

fn field_errors(error: StoreError) -> Vec<(String, String)> {
    match error {
        StoreError::Validation(faults) => faults.into_iter().map(|f| (f.field, f.message)).collect(),
        other => panic!("expected a validation refusal, got {other:?}"),
    }
}

/// A JPEG whose left half is red and right half blue, carrying EXIF with an orientation and,
/// when given, a date taken.
fn jpeg_with_exif(width: u32, height: u32, orientation: Option<u16>, taken: Option<&str>) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, _| if x < width / 2 { Rgb([220, 20, 20]) } else { Rgb([20, 20, 220]) });
    let mut jpeg = Vec::new();
    DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut jpeg), ImageFormat::Jpeg).unwrap();
    let mut fields = Vec::new();
    if let Some(o) = orientation {
        fields.push(exif::Field { tag: exif::Tag::Orientation, ifd_num: exif::In::PRIMARY, value: exif::Value::Short(vec![o]) });
    }
    if let Some(t) = taken {
        fields.push(exif::Field { tag: exif::Tag::DateTimeOriginal, ifd_num: exif::In::PRIMARY, value: exif::Value::Ascii(vec![t.as_bytes().to_vec()]) });
    }
    if fields.is_empty() {
        return jpeg;
    }
    let mut writer = exif::experimental::Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff.into_inner());
    // The APP1 segment goes right after the start-of-image marker.
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

fn is_red(p: image::Rgba<u8>) -> bool {
    p[0] > 150 && p[2] < 100
}

fn is_blue(p: image::Rgba<u8>) -> bool {
    p[2] > 150 && p[0] < 100
}

// ---------------------------------------------------------------------------------------------
// Photos

#[test]
fn the_same_file_is_stored_once_and_attached_to_a_case_only_once() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let a = ws.create_case(&maya(), now()).unwrap().id;
    let b = ws.create_case(&maya(), now()).unwrap().id;
    let first = ws.add_photo_file(a, &png(9, 30, 40), "maya.png", &child_photo(), now()).unwrap();
    assert_eq!((first.width, first.height, first.mime.as_str(), first.case_id), (30, 40, "image/png", a));
    assert!(first.is_primary, "the first picture of the child leads the case");
    assert_eq!(first.sha256.len(), 64);

    let again = ws.add_photo_file(a, &png(9, 30, 40), "copy of maya.png", &child_photo(), later(1)).unwrap_err();
    let faults = field_errors(again);
    assert_eq!(faults.len(), 1);
    assert_eq!(faults[0].0, "file");
    assert!(faults[0].1.contains("copy of maya.png") && faults[0].1.contains("already attached"), "{}", faults[0].1);

    let shared = ws.add_photo_file(b, &png(9, 30, 40), "maya.png", &child_photo(), later(1)).unwrap();
    assert_eq!(shared.sha256, first.sha256, "same bytes, same address");
    let aged = PhotoMeta { kind: Some(PhotoKind::AgeProgressed), age_progressed_to: Some(17), ..child_photo() };
    let second = ws.add_photo_file(a, &png(10, 30, 40), "maya-at-17.png", &aged, later(2)).unwrap();
    assert!(!second.is_primary);
    assert_eq!(second.meta.age_progressed_to, Some(17));

    assert_eq!(ws.stored_image_count().unwrap(), 2, "one stored copy per distinct image");
    let photos = ws.case_photos(a).unwrap();
    assert_eq!(photos.iter().map(|p| p.id).collect::<Vec<_>>(), vec![first.id, second.id], "primary first, then in the order added");
    assert_eq!(ws.case_photos(b).unwrap().len(), 1);
    let (bytes, mime) = ws.photo_bytes(&first.sha256).unwrap();
    assert_eq!((bytes, mime.as_str()), (png(9, 30, 40), "image/png"), "the original is kept byte for byte");
    assert!(ws.case_history(a).unwrap().iter().filter(|e| e.kind == "photo").count() == 2);
    assert_eq!(first.added_by, ws.actor());
}

#[test]
fn files_that_are_not_usable_photos_are_refused_by_name_and_store_nothing() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let id = ws.create_case(&maya(), now()).unwrap().id;
    let good = png(1, 30, 40);
    let mut oversized = good.clone();
    oversized.resize(porchlight_store::MAX_PHOTO_BYTES + 1, 0);
    let mut heic = vec![0, 0, 0, 24];
    heic.extend(b"ftypheic");
    heic.extend([0; 40]);
    let whole_jpeg = jpeg_with_exif(64, 48, None, None);
    let cut_jpeg = whole_jpeg[..whole_jpeg.len() / 2].to_vec();
    let cut_png = good[..good.len() - 40].to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("notes.jpg", b"Dear case manager, this is a text file.".to_vec(), "not a JPEG, PNG or WebP image"),
        ("party.gif", b"GIF89a\x01\x00\x01\x00".to_vec(), "It is a GIF image"),
        ("IMG_0042.HEIC", heic, "HEIC"),
        ("scan.pdf", b"%PDF-1.7\n".to_vec(), "PDF"),
        ("empty.png", Vec::new(), "is empty"),
        ("huge.png", oversized, "at most 25 MB"),
        ("cut.jpg", cut_jpeg, "damaged or cut short"),
        ("cut.png", cut_png, "damaged or cut short"),
    ];
    for (name, bytes, says) in cases {
        let faults = field_errors(ws.add_photo_file(id, &bytes, &format!("/home/ana/Downloads/{name}"), &child_photo(), now()).unwrap_err());
        assert_eq!(faults.len(), 1, "{name}: {faults:?}");
        let (field, message) = &faults[0];
        assert_eq!(field, "file", "{name}");
        assert!(message.contains(name) && !message.contains("Downloads"), "{name}: the message names the file alone: {message}");
        assert!(message.contains(says), "{name}: {message}");
    }
    let text = field_errors(ws.add_photo_file(id, b"hello", "a.jpg", &child_photo(), now()).unwrap_err());
    assert!(text[0].1.contains("JPEG, PNG or WebP"), "the refusal says what is accepted: {}", text[0].1);

    let metadata: Vec<(PhotoMeta, &str)> = vec![
        (PhotoMeta { kind: None, ..child_photo() }, "kind"),
        (PhotoMeta { taken_on: "2027-01-01".into(), ..child_photo() }, "taken_on"),
        (PhotoMeta { taken_on: "last June".into(), ..child_photo() }, "taken_on"),
        (PhotoMeta { kind: Some(PhotoKind::AgeProgressed), ..child_photo() }, "age_progressed_to"),
        (PhotoMeta { child_age: Some(40), ..child_photo() }, "child_age"),
    ];
    for (meta, field) in metadata {
        let faults = field_errors(ws.add_photo_file(id, &good, "maya.png", &meta, now()).unwrap_err());
        assert_eq!(faults.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), vec![field]);
    }
    // A bad file and bad metadata are reported together, so one try shows everything to fix.
    let both = field_errors(ws.add_photo_file(id, b"text", "a.png", &PhotoMeta { kind: None, ..child_photo() }, now()).unwrap_err());
    assert_eq!(both.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), vec!["file", "kind"]);

    assert!(ws.case_photos(id).unwrap().is_empty());
    assert_eq!(ws.stored_image_count().unwrap(), 0);
    assert!(ws.case_audit(id).unwrap().iter().all(|e| e.action != AuditAction::PhotoAdded), "a refusal leaves no audit line");
    let ghost = CaseId::new(now().utc);
    assert!(matches!(ws.add_photo_file(ghost, &good, "maya.png", &child_photo(), now()), Err(StoreError::NotFound(_))));
    assert_eq!(ws.stored_image_count().unwrap(), 0, "a photo for a missing case leaves no stored image");
}

#[test]
fn a_sideways_phone_photo_is_shown_upright_and_its_original_is_kept() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let id = ws.create_case(&maya(), now()).unwrap().id;
    // 400×200 pixels as stored, red on the left; EXIF 6 says "turn 90° clockwise to view".
    let original = jpeg_with_exif(400, 200, Some(6), Some("2025:08:14 16:20:00"));
    let photo = ws.add_photo_file(id, &original, "IMG_1234.JPG", &child_photo(), now()).unwrap();
    assert_eq!((photo.width, photo.height), (200, 400), "the record gives the upright size");
    assert_eq!(photo.meta.taken_on, "2025-08-14", "the date taken comes from EXIF when none was given");

    let (shown, mime) = ws.photo_image(photo.id, later(1)).unwrap();
    assert_eq!(mime, "image/jpeg");
    let shown = decode(&shown);
    assert_eq!(shown.dimensions(), (200, 400));
    assert!(is_red(shown.get_pixel(100, 20)) && is_blue(shown.get_pixel(100, 380)), "turned clockwise, the left side is on top");

    let (thumb, mime) = ws.photo_thumbnail(photo.id).unwrap();
    assert_eq!(mime, "image/jpeg");
    let thumb = decode(&thumb);
    assert_eq!(thumb.dimensions(), (160, 320), "a thumbnail is at most 320 pixels a side, upright");
    assert!(is_red(thumb.get_pixel(80, 10)) && is_blue(thumb.get_pixel(80, 310)));

    let (kept, _) = ws.photo_bytes(&photo.sha256).unwrap();
    assert_eq!(kept, original, "the original file is kept as received; its SHA-256 still proves it");
    let actions: Vec<AuditAction> = ws.case_audit(id).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(&actions[..2], &[AuditAction::PhotoViewed, AuditAction::PhotoAdded], "{actions:?}");
    let viewed = &ws.case_audit(id).unwrap()[0];
    assert_eq!(viewed.detail, format!("photo {}", photo.id), "audit lines hold ids, never the file name");
}

#[test]
fn the_date_taken_the_user_gives_wins_and_a_camera_clock_in_the_future_is_ignored() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let id = ws.create_case(&maya(), now()).unwrap().id;
    let dated = jpeg_with_exif(40, 30, None, Some("2024:05:17 10:00:00"));
    let given = PhotoMeta { taken_on: "2024-06-01".into(), ..child_photo() };
    assert_eq!(ws.add_photo_file(id, &dated, "a.jpg", &given, now()).unwrap().meta.taken_on, "2024-06-01");
    let future = jpeg_with_exif(41, 30, Some(1), Some("2031:01:01 00:00:00"));
    let photo = ws.add_photo_file(id, &future, "b.jpg", &child_photo(), now()).unwrap();
    assert_eq!(photo.meta.taken_on, "", "an impossible camera date is left out, not refused");
    let upright = ws.photo_image(photo.id, now()).unwrap().0;
    assert_eq!(upright, future, "an upright original is shown as it is");
}

#[test]
fn webp_and_transparent_png_are_accepted_and_thumbnailed() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let id = ws.create_case(&maya(), now()).unwrap().id;
    let mut webp = Vec::new();
    let img = image::RgbaImage::from_fn(500, 300, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255]));
    DynamicImage::ImageRgba8(img).write_to(&mut std::io::Cursor::new(&mut webp), ImageFormat::WebP).unwrap();
    let photo = ws.add_photo_file(id, &webp, "school.webp", &child_photo(), now()).unwrap();
    assert_eq!((photo.mime.as_str(), photo.width, photo.height), ("image/webp", 500, 300));
    assert_eq!(decode(&ws.photo_thumbnail(photo.id).unwrap().0).dimensions(), (320, 192));

    let clear = image::RgbaImage::from_pixel(20, 10, image::Rgba([0, 0, 0, 0]));
    let mut png_bytes = Vec::new();
    DynamicImage::ImageRgba8(clear).write_to(&mut std::io::Cursor::new(&mut png_bytes), ImageFormat::Png).unwrap();
    let photo = ws.add_photo_file(id, &png_bytes, "clear.png", &child_photo(), now()).unwrap();
    let thumb = decode(&ws.photo_thumbnail(photo.id).unwrap().0);
    assert_eq!(thumb.dimensions(), (20, 10), "a small image is never enlarged");
    assert!(thumb.get_pixel(5, 5)[0] > 240, "transparent pixels turn white, as on paper");
}

#[test]
fn editing_a_photo_and_choosing_the_primary_one() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let id = ws.create_case(&maya(), now()).unwrap().id;
    let car = PhotoMeta { kind: Some(PhotoKind::Vehicle), source: "witness".into(), ..Default::default() };
    let vehicle = ws.add_photo_file(id, &png(1, 30, 40), "car.png", &car, now()).unwrap();
    assert!(!vehicle.is_primary, "a vehicle never leads a case");
    let older = ws.add_photo_file(id, &png(2, 30, 40), "2019.png", &child_photo(), later(1)).unwrap();
    let newer = ws.add_photo_file(id, &png(3, 30, 40), "2025.png", &child_photo(), later(2)).unwrap();
    assert!(older.is_primary && !newer.is_primary);

    let made = ws.set_primary_photo(newer.id, later(3)).unwrap();
    assert!(made.is_primary);
    let primaries: Vec<_> = ws.case_photos(id).unwrap().into_iter().filter(|p| p.is_primary).map(|p| p.id).collect();
    assert_eq!(primaries, vec![newer.id], "exactly one primary photo");
    let refused = field_errors(ws.set_primary_photo(vehicle.id, later(4)).unwrap_err());
    assert_eq!(refused[0].0, "kind");

    let edited = PhotoMeta { taken_on: "2025-02-03".into(), child_age: Some(13), source: "school portrait".into(), ..child_photo() };
    let saved = ws.update_photo(newer.id, &edited, later(5)).unwrap();
    assert_eq!((saved.meta.taken_on.as_str(), saved.meta.child_age, saved.meta.source.as_str()), ("2025-02-03", Some(13), "school portrait"));
    assert!(saved.is_primary);
    let audit_before = ws.case_audit(id).unwrap().len();
    ws.update_photo(newer.id, &edited, later(6)).unwrap();
    assert_eq!(ws.case_audit(id).unwrap().len(), audit_before, "saving unchanged metadata writes nothing");

    // Marked a companion, the primary photo hands over to the oldest other picture of the child.
    let companion = PhotoMeta { kind: Some(PhotoKind::Companion), ..edited.clone() };
    assert!(!ws.update_photo(newer.id, &companion, later(7)).unwrap().is_primary);
    let primaries: Vec<_> = ws.case_photos(id).unwrap().into_iter().filter(|p| p.is_primary).map(|p| p.id).collect();
    assert_eq!(primaries, vec![older.id]);

    let bad = PhotoMeta { taken_on: "2030-01-01".into(), ..edited };
    assert_eq!(field_errors(ws.update_photo(older.id, &bad, later(8)).unwrap_err())[0].0, "taken_on");
    let ghost = porchlight_domain::RecordId::new(now().utc);
    assert!(matches!(ws.update_photo(ghost, &child_photo(), now()), Err(StoreError::RecordNotFound { kind: "photo", .. })));
    assert!(matches!(ws.photo_thumbnail(ghost), Err(StoreError::RecordNotFound { .. })));
    assert!(matches!(ws.photo_image(ghost, now()), Err(StoreError::RecordNotFound { .. })));
    let edits = ws.case_audit(id).unwrap().into_iter().filter(|e| e.action == AuditAction::PhotoEdited).count();
    assert_eq!(edits, 3, "made primary, edited, marked a companion");
}

#[test]
fn imported_photos_get_thumbnails_and_make_the_case_findable_by_has_photo() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let with = NewCase { fields: fields("Lena", "Marsh", "TX", CaseType::EndangeredRunaway, "2026-10-01", "2012-01-02"), photos: vec![photo(5)] };
    let without = NewCase { fields: fields("Lena", "Moss", "TX", CaseType::EndangeredRunaway, "2026-10-02", "2012-01-02"), photos: vec![] };
    let ids = ws.import_cases(&[with, without], now()).unwrap();
    let photos = ws.case_photos(ids[0]).unwrap();
    assert_eq!(photos.len(), 1);
    assert!(photos[0].is_primary);
    assert_eq!(decode(&ws.photo_thumbnail(photos[0].id).unwrap().0).dimensions(), (30, 40));
    let found = |has_photo| names(&ws.search(&SearchQuery { text: "lena".into(), has_photo, ..Default::default() }, today()).unwrap());
    assert_eq!(found(Some(true)), vec!["Lena Marsh"]);
    assert_eq!(found(Some(false)), vec!["Lena Moss"]);
    assert_eq!(found(None).len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Instant search

fn names(results: &SearchResults) -> Vec<String> {
    results.hits.iter().map(|h| format!("{} {}", h.case.given_name, h.case.family_name)).collect()
}

fn find(ws: &Workspace, text: &str) -> Vec<String> {
    names(&ws.search(&SearchQuery { text: text.into(), ..Default::default() }, today()).unwrap())
}

fn hit_words(segments: &[Segment]) -> Vec<String> {
    segments.iter().filter(|s| s.hit).map(|s| s.text.clone()).collect()
}

#[test]
fn search_follows_every_edit_of_a_case() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let record = ws.create_case(&fields("Maya", "Núñez", "OK", CaseType::EndangeredRunaway, "2026-11-19", "2011-04-02"), now()).unwrap();
    assert_eq!(find(&ws, "maya"), vec!["Maya Núñez"]);
    let mut renamed = record.fields.clone();
    renamed.child.given_name = "Amara".into();
    renamed.child.nicknames = "Mimi".into();
    renamed.event.circumstances = "Left the library on Elm Street after dark.".into();
    renamed.law_enforcement.agency_case_number = "24-118877".into();
    let edited = ws.update_case(record.id, record.version, &renamed, later(1)).unwrap();
    assert!(find(&ws, "maya").is_empty(), "the old name no longer finds the case");
    assert_eq!(find(&ws, "amara"), vec!["Amara Núñez"]);
    assert_eq!(find(&ws, "mimi"), vec!["Amara Núñez"], "nicknames are names");
    assert_eq!(find(&ws, "library elm"), vec!["Amara Núñez"], "words anywhere in the circumstances");
    assert_eq!(find(&ws, "24-118877"), vec!["Amara Núñez"], "agency case numbers");
    assert_eq!(find(&ws, &record.case_number), vec!["Amara Núñez"], "the case number");
    assert_eq!(find(&ws, &record.case_number[..9]), vec!["Amara Núñez"], "the case number as it is typed");
    assert_eq!(find(&ws, "oklahoma"), vec!["Amara Núñez"], "the state by name as well as by code");

    // An edit of nothing searched keeps the entry it has; the next edit of a searched word still
    // replaces it.
    let mut dressed = renamed.clone();
    dressed.description.clothing = "Green raincoat, white trainers".into();
    let dressed_record = ws.update_case(record.id, edited.version, &dressed, later(1)).unwrap();
    assert_eq!(find(&ws, "amara mimi library"), vec!["Amara Núñez"], "the entry is whole after an edit of the clothing");
    assert!(find(&ws, "raincoat").is_empty(), "clothing is not searched");
    let mut nicknamed = dressed.clone();
    nicknamed.child.nicknames = "Birdie".into();
    ws.update_case(record.id, dressed_record.version, &nicknamed, later(1)).unwrap();
    assert_eq!(find(&ws, "birdie"), vec!["Amara Núñez"]);
    assert!(find(&ws, "mimi").is_empty(), "the old nickname no longer finds the case");

    ws.set_archived(record.id, true, later(2)).unwrap();
    assert!(find(&ws, "amara").is_empty(), "archived cases leave search");
    let archived = ws.search(&SearchQuery { text: "amara".into(), include_archived: true, ..Default::default() }, today()).unwrap();
    assert_eq!(names(&archived), vec!["Amara Núñez"]);
    assert!(archived.hits[0].case.archived);
    ws.set_archived(record.id, false, later(3)).unwrap();
    assert_eq!(find(&ws, "amara"), vec!["Amara Núñez"]);
}

#[test]
fn search_follows_notes_and_contacts() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let id = ws.create_case(&maya(), now()).unwrap().id;
    let note = ws.add_note(id, &NoteInput { category: NoteCategory::LeadTip, text: "Caller saw her at the Greyhound depot in Tulsa.".into() }, later(1)).unwrap();
    let results = ws.search(&SearchQuery { text: "greyhound".into(), ..Default::default() }, today()).unwrap();
    assert_eq!(names(&results), vec!["Maya Okafor"]);
    assert_eq!(results.hits[0].matched_in, "Note");
    assert_eq!(hit_words(&results.hits[0].snippet), vec!["Greyhound"]);

    ws.edit_note(note.current.note_id, note.current.version, &NoteInput { category: NoteCategory::LeadTip, text: "Caller saw her at the Amtrak station in Tulsa.".into() }, later(2))
        .unwrap();
    assert!(find(&ws, "greyhound").is_empty(), "the superseded text is not searched");
    assert_eq!(find(&ws, "amtrak"), vec!["Maya Okafor"]);

    let grace = ws
        .add_contact(id, &ContactFields { name: "Grace Adebayo".into(), relationship: Some(Relationship::Grandparent), phones: vec!["918 555 0142".into()], ..Default::default() }, later(3))
        .unwrap();
    let results = ws.search(&SearchQuery { text: "adebayo".into(), ..Default::default() }, today()).unwrap();
    assert_eq!(names(&results), vec!["Maya Okafor"]);
    assert_eq!(results.hits[0].matched_in, "Contact");
    ws.remove_contact(grace.id, "Entered on the wrong case", later(4)).unwrap();
    assert!(find(&ws, "adebayo").is_empty(), "a removed contact's name no longer finds the case");
}

#[test]
fn diacritics_case_and_the_word_being_typed() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    ws.create_case(&fields("José", "Núñez", "TX", CaseType::FamilyAbduction, "2026-10-01", "2015-01-02"), now()).unwrap();
    ws.create_case(&fields("Zoë", "Nunes", "TX", CaseType::FamilyAbduction, "2026-10-02", "2015-01-02"), now()).unwrap();
    assert_eq!(find(&ws, "Nunez"), vec!["José Núñez"]);
    assert_eq!(find(&ws, "NÚÑEZ"), vec!["José Núñez"]);
    assert_eq!(find(&ws, "jose nunez"), vec!["José Núñez"]);
    assert_eq!(find(&ws, "zoe"), vec!["Zoë Nunes"]);
    let mut typed = find(&ws, "nun");
    typed.sort();
    assert_eq!(typed, vec!["José Núñez", "Zoë Nunes"], "the last word matches as a prefix while typing");
    assert!(find(&ws, "nun ").is_empty(), "a finished word (a space after it) matches whole");
    assert_eq!(find(&ws, "jose nú"), vec!["José Núñez"]);
    assert!(find(&ws, "jo nunez").is_empty(), "only the last word is a prefix");
}

#[test]
fn anything_a_person_types_is_searched_as_words_never_as_query_syntax() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let mut f = maya();
    f.event.circumstances = "She said \"don't worry\" (twice) - then left: NEAR the AND/OR sign.".into();
    ws.create_case(&f, now()).unwrap();
    let hostile = [
        "\"", "\"\"", "\"maya", "maya\"", "'", "-", "--maya", "-maya", "*", "maya*", "**", "^maya", ":", "names:maya", "{names}:maya",
        "(", ")", "(maya", "maya)", "NEAR", "NEAR(maya okafor)", "NEAR/2", "AND", "OR", "NOT", "maya AND", "OR maya", "NOT okafor",
        "+", "a+b", "%", "_", "\\", "\u{E000}", "\u{E001}maya", "\u{F8F0}archived", "\u{F8F0}", "😀", "maya 😀", "\0", "’", "maya's",
        "; DROP TABLE cases; --", "' OR 1=1 --", "\t\n", "   ",
    ];
    for text in hostile {
        let results = ws.search(&SearchQuery { text: text.into(), ..Default::default() }, today());
        assert!(results.is_ok(), "{text:?}: {results:?}");
    }
    assert_eq!(find(&ws, "\"maya"), vec!["Maya Okafor"]);
    assert_eq!(find(&ws, "(maya okafor)"), vec!["Maya Okafor"], "brackets are not grouping");
    assert!(find(&ws, "NEAR(maya okafor)").is_empty(), "NEAR( is the phrase \"near maya\", found nowhere");
    assert_eq!(find(&ws, "don't worry"), vec!["Maya Okafor"]);
    assert_eq!(find(&ws, "AND/OR sign"), vec!["Maya Okafor"]);
    assert!(find(&ws, "\u{F8F0}archived").is_empty(), "filter tokens cannot be typed");
    assert_eq!(find(&ws, "maya NOT okafor"), vec!["Maya Okafor"], "NOT is a word, not an operator");
    assert!(find(&ws, "maya lopez").is_empty(), "every word must match");
    assert_eq!(find(&ws, "   ").len(), 1, "no words: every case passing the filters");
    let long = field_errors(ws.search(&SearchQuery { text: "a".repeat(201), ..Default::default() }, today()).unwrap_err());
    assert_eq!(long[0].0, "text");
}

/// Six children with different statuses, types, states, ages, care and photos.
fn populated() -> (Scratch, Workspace, Vec<CaseId>) {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let cases = [
        // given, family, state, type, missing, born, from care
        ("Ana", "Rivera", "TX", CaseType::EndangeredRunaway, "2026-11-01", "2010-06-15", true),
        ("Ben", "Rivera", "TX", CaseType::FamilyAbduction, "2026-10-01", "2019-02-01", false),
        ("Cal", "Rivera", "WY", CaseType::EndangeredRunaway, "2026-09-01", "2012-11-22", false),
        ("Dee", "Rivera", "NY", CaseType::NonfamilyAbduction, "2026-08-01", "2008-12-01", true),
        ("Eva", "Rivera", "TX", CaseType::EndangeredRunaway, "2026-07-01", "2011-11-21", false),
        ("Fay", "Rivera", "CA", CaseType::LostInjuredMissing, "2026-06-01", "2021-01-01", false),
    ];
    let mut ids = Vec::new();
    for (given, family, state, case_type, missing, born, care) in cases {
        let mut f = fields(given, family, state, case_type, missing, born);
        if care {
            f.missing_from_care = true;
            f.care_agency = "Tulsa County Child Welfare".into();
        }
        ids.push(ws.create_case(&f, now()).unwrap().id);
    }
    (s, ws, ids)
}

#[test]
fn filters_narrow_words_and_stand_alone() {
    let (_s, mut ws, ids) = populated();
    ws.change_status(ids[2], &StatusChange { to: CaseStatus::Active, reason: "Investigator assigned".into(), outcome: None }, later(1)).unwrap();
    ws.add_photo_file(ids[4], &png(7, 30, 40), "eva.png", &child_photo(), later(2)).unwrap();
    ws.set_archived(ids[5], true, later(3)).unwrap();
    let both = |q: SearchQuery| -> (Vec<String>, Vec<String>) {
        let mut with_words = names(&ws.search(&SearchQuery { text: "rivera".into(), ..q.clone() }, today()).unwrap());
        with_words.sort();
        let alone = names(&ws.search(&SearchQuery { text: String::new(), ..q }, today()).unwrap());
        (with_words, alone)
    };
    let check = |q: SearchQuery, expected: &[&str]| {
        let (mut with_words, alone) = both(q.clone());
        let mut sorted_alone = alone.clone();
        sorted_alone.sort();
        with_words.sort();
        assert_eq!(with_words, expected, "with words: {q:?}");
        assert_eq!(sorted_alone, expected, "filters alone: {q:?}");
    };
    check(SearchQuery::default(), &["Ana Rivera", "Ben Rivera", "Cal Rivera", "Dee Rivera", "Eva Rivera"]);
    check(SearchQuery { include_archived: true, ..Default::default() }, &["Ana Rivera", "Ben Rivera", "Cal Rivera", "Dee Rivera", "Eva Rivera", "Fay Rivera"]);
    check(SearchQuery { status: Some(CaseStatus::Active), ..Default::default() }, &["Cal Rivera"]);
    check(SearchQuery { status: Some(CaseStatus::Intake), state: Some("tx".into()), ..Default::default() }, &["Ana Rivera", "Ben Rivera", "Eva Rivera"]);
    check(SearchQuery { case_type: Some(CaseType::EndangeredRunaway), ..Default::default() }, &["Ana Rivera", "Cal Rivera", "Eva Rivera"]);
    check(SearchQuery { state: Some("Wyoming".into()), ..Default::default() }, &["Cal Rivera"]);
    check(SearchQuery { missing_from_care: Some(true), ..Default::default() }, &["Ana Rivera", "Dee Rivera"]);
    check(SearchQuery { missing_from_care: Some(false), ..Default::default() }, &["Ben Rivera", "Cal Rivera", "Eva Rivera"]);
    check(SearchQuery { has_photo: Some(true), ..Default::default() }, &["Eva Rivera"]);
    // Ages on 2026-11-21: Ana 16, Ben 7, Cal 13 (14 tomorrow), Dee 17, Eva 15 (since today), Fay 5.
    check(SearchQuery { age_min: Some(14), age_max: Some(16), ..Default::default() }, &["Ana Rivera", "Eva Rivera"]);
    check(SearchQuery { age_min: Some(15), ..Default::default() }, &["Ana Rivera", "Dee Rivera", "Eva Rivera"]);
    check(SearchQuery { age_max: Some(13), ..Default::default() }, &["Ben Rivera", "Cal Rivera"]);
    check(SearchQuery { age_min: Some(13), age_max: Some(13), ..Default::default() }, &["Cal Rivera"]);

    let alone = ws.search(&SearchQuery::default(), today()).unwrap();
    assert_eq!(names(&alone), vec!["Ana Rivera", "Ben Rivera", "Cal Rivera", "Dee Rivera", "Eva Rivera"], "most recently missing first");
    assert!(alone.hits.iter().all(|h| h.snippet.is_empty() && h.matched_in.is_empty()));
    let first_two = ws.search(&SearchQuery { limit: 2, ..Default::default() }, today()).unwrap();
    assert_eq!((first_two.hits.len(), first_two.more), (2, true));
    let all = ws.search(&SearchQuery { text: "rivera".into(), limit: 5, ..Default::default() }, today()).unwrap();
    assert_eq!((all.hits.len(), all.more), (5, false));
    let four = ws.search(&SearchQuery { text: "rivera".into(), limit: 4, ..Default::default() }, today()).unwrap();
    assert_eq!((four.hits.len(), four.more), (4, true));

    let refusals = [
        (SearchQuery { state: Some("Atlantis".into()), ..Default::default() }, "state"),
        (SearchQuery { age_min: Some(12), age_max: Some(9), ..Default::default() }, "age_max"),
        (SearchQuery { limit: 201, ..Default::default() }, "limit"),
    ];
    for (query, field) in refusals {
        assert_eq!(field_errors(ws.search(&query, today()).unwrap_err())[0].0, field);
    }
}

#[test]
fn names_rank_above_other_columns_and_matches_are_highlighted() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let mut in_story = fields("Lena", "Park", "TX", CaseType::EndangeredRunaway, "2026-11-01", "2012-01-01");
    in_story.event.circumstances = "Lena was last seen with a friend named Holloway near the skate park on Main Street.".into();
    ws.create_case(&in_story, now()).unwrap();
    let mut in_places = fields("Omar", "Diaz", "TX", CaseType::EndangeredRunaway, "2026-11-02", "2012-01-01");
    in_places.event.address = "14 Holloway Road".into();
    ws.create_case(&in_places, now()).unwrap();
    ws.create_case(&fields("Shanice", "Holloway", "TX", CaseType::EndangeredRunaway, "2026-10-01", "2012-01-01"), now()).unwrap();

    let results = ws.search(&SearchQuery { text: "holloway".into(), ..Default::default() }, today()).unwrap();
    assert_eq!(names(&results), vec!["Shanice Holloway", "Omar Diaz", "Lena Park"], "names, then places, then circumstances");
    let labels: Vec<&str> = results.hits.iter().map(|h| h.matched_in.as_str()).collect();
    assert_eq!(labels, vec!["Name", "Place", "Circumstances"]);
    for hit in &results.hits {
        assert_eq!(hit_words(&hit.snippet), vec!["Holloway"], "{hit:?}");
        assert!(hit.snippet.iter().all(|s| !s.text.contains(['\u{E000}', '\u{E001}', '<'])), "segments are plain text");
    }
    assert_eq!(results.hits[0].snippet, vec![Segment { text: "Shanice ".into(), hit: false }, Segment { text: "Holloway".into(), hit: true }]);
    let story: String = results.hits[2].snippet.iter().map(|s| s.text.as_str()).collect();
    assert!(story.contains("friend named Holloway near the skate"), "a long text shows the words around the match: {story}");

    // Case numbers end in random letters, so a short prefix may also match one of them (about
    // one run in a hundred for these four cases): where each hit matched is what is checked.
    let matched = |text: &str| -> Vec<(String, String)> {
        let results = ws.search(&SearchQuery { text: text.into(), ..Default::default() }, today()).unwrap();
        names(&results).into_iter().zip(results.hits.iter().map(|h| h.matched_in.clone())).collect()
    };
    let typed_two = matched("sk");
    assert!(typed_two.iter().all(|(_, column)| column == "Case number"), "one or two letters being typed match names, numbers and places, not the story: {typed_two:?}");
    let typed_two = matched("sh");
    assert_eq!(typed_two.first(), Some(&("Shanice Holloway".to_owned(), "Name".to_owned())));
    assert!(typed_two[1..].iter().all(|(_, column)| column == "Case number"), "{typed_two:?}");
    assert_eq!(find(&ws, "skate "), vec!["Lena Park"], "a finished word is searched everywhere");
    let typed = ws.search(&SearchQuery { text: "hollo".into(), ..Default::default() }, today()).unwrap();
    assert_eq!(hit_words(&typed.hits[0].snippet), vec!["Holloway"], "a prefix highlights the whole word");
}

#[test]
fn a_workspace_reopened_keeps_its_index() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    ws.create_case(&maya(), now()).unwrap();
    drop(ws);
    let ws = Workspace::open(&s.path, PASSPHRASE).unwrap();
    assert_eq!(find(&ws, "okafor"), vec!["Maya Okafor"]);
}
