fn main() {
    console_error_panic_hook::set_once();
    pelm_energy::mount();
}
