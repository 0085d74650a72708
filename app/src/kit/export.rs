//! A lab's data as files: CSV and JSON of what its charts show, and its
//! run as the command-line tool reads it.

use gradlab_core::RunConfig;
use leptos::prelude::*;

/// Downloads of a lab's data: `gradlab-<lab>.csv`, `.json` and the run's
/// config for the command-line tool, `gradlab-<lab>-config.json`. Each
/// callback returns the file's text, `None` while there is nothing to
/// export (a lab without a CLI run has no config button).
#[component]
pub fn DataExport(
    lab: &'static str,
    csv: Callback<(), Option<String>>,
    json: Callback<(), Option<String>>,
    #[prop(optional_no_strip)] config: Option<Callback<(), Option<String>>>,
) -> impl IntoView {
    let save = move |file: String, mime: &'static str, text: Option<String>| {
        if let Some(text) = text {
            crate::web::download(&file, mime, &text);
        }
    };
    view! {
        <fieldset class="data-export">
            <legend>"Export"</legend>
            <div class="transport">
                <button name="csv" title="the data behind the charts, as CSV" on:click=move |_| save(format!("gradlab-{lab}.csv"), "text/csv", csv.run(()))>"CSV"</button>
                <button name="json" title="the settings and the data behind the charts, as JSON"
                    on:click=move |_| save(format!("gradlab-{lab}.json"), "application/json", json.run(()))>"JSON"</button>
                {config.map(|config| view! {
                    <button name="config" title="this run for the command-line tool: gradlab CONFIG.json"
                        on:click=move |_| save(format!("gradlab-{lab}-config.json"), "application/json", config.run(()))>"Config"</button>
                })}
            </div>
        </fieldset>
    }
}

/// A run as the command-line tool reads it (`gradlab CONFIG.json`): the
/// [`RunConfig`] with the CLI's `steps` and `backend` keys beside it.
/// `steps` is how far the page has trained (1000 before the first step),
/// within what the CLI allows.
#[must_use]
pub fn cli_config(run: &RunConfig, steps: u64) -> String {
    let steps = if steps == 0 { 1000 } else { steps.min(u64::from(gradlab_core::config::MAX_RUN_STEPS)) };
    let mut value = serde_json::to_value(run).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("steps".into(), steps.into());
        map.insert("backend".into(), "cpu".into());
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
