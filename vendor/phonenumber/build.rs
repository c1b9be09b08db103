use std::env;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

#[path = "src/metadata/loader.rs"]
mod loader;

#[path = "src/error.rs"]
mod error;

// Changed for phone-verification (see vendor/README.md): each region's metadata is serialized on
// its own, one after the other in `database.bin`, and `database_index.rs` lists where each one
// is (its id, country code, whether it is the main region for that code, and its bytes), so that
// a process decodes only the regions it uses, when it first uses them.
fn main() {
    let pnm_path = "assets/PhoneNumberMetadata.xml";
    let metadata = loader::load(BufReader::new(
        File::open(pnm_path).expect("could not open metadata file"),
    ))
    .expect("failed to load metadata");
    println!("cargo:rerun-if-changed={pnm_path}");

    let out_dir = env::var("OUT_DIR").unwrap();
    let mut bytes = Vec::new();
    let mut index = String::from("&[\n");
    for meta in &metadata {
        let start = bytes.len();
        bytes.extend(postcard::to_stdvec(meta).expect("failed to serialize a region"));
        index.push_str(&format!(
            "    ({:?}, {}, {}, {}, {}),\n",
            meta.id.as_deref().expect("a region without an id"),
            meta.country_code.expect("a region without a country code"),
            meta.main_country_for_code,
            start,
            bytes.len(),
        ));
    }
    index.push(']');

    let mut out = BufWriter::new(
        File::create(Path::new(&out_dir).join("database.bin"))
            .expect("could not create database file"),
    );
    out.write_all(&bytes).expect("failed to write database");
    std::fs::write(Path::new(&out_dir).join("database_index.rs"), index)
        .expect("failed to write the database's index");
}
