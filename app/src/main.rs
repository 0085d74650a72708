fn main() {
    console_error_panic_hook::set_once();
    // In the page's worker there is no document: it only takes jobs
    // (`gradlab_app::kit::worker::worker_message`).
    if web_sys::window().is_some() {
        leptos::mount::mount_to_body(gradlab_app::App);
    }
}
