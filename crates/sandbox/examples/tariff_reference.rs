//! Writes what `crates/tariff/reference/sam.py` gives NREL's SAM: the
//! reference load (`load`, one reading a line) or a published tariff file
//! (`tariff electric.json`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["load"] => {
            for usage in pelm_sandbox::tariffs::reference_load() {
                println!("{usage}");
            }
        }
        ["tariff", name] => match pelm_sandbox::tariffs::file(name) {
            Some(value) => println!("{value}"),
            None => {
                eprintln!("no tariff {name}");
                std::process::exit(1);
            }
        },
        _ => {
            eprintln!("usage: tariff_reference load | tariff <file>");
            std::process::exit(2);
        }
    }
}
