//! What a lab's run sees of one animation frame: the backend, the time,
//! the lab's signals, and the moves every lab makes with them.

use std::rc::Rc;

use gradlab_core::engine::Backend;
use gradlab_core::gpu::Snapshot;
use gradlab_core::Error;
use leptos::prelude::*;

use super::remote::Net;
use super::status::{Phase, Progress};
use super::Lab;
use crate::web;

/// What a lab's run sees of one animation frame.
pub struct Frame<'a, S: 'static> {
    pub backend: &'a Rc<Backend>,
    /// The frame's timestamp (ms).
    pub now: f64,
    pub lab: Lab<S>,
    /// "Step" was pressed and no step has been trained since.
    pub(super) single_step: &'a mut bool,
}

impl<S> Frame<'_, S> {
    /// Steps to ask of an engine this frame: one after "Step", as many as
    /// fit while playing, none while paused or diverged.
    #[must_use]
    pub fn steps(&self) -> Option<u32> {
        let diverged = self.lab.status.with_untracked(|s| s.phase == Phase::Diverged);
        if *self.single_step {
            Some(1)
        } else if self.lab.playing.get_untracked() && !diverged {
            Some(u32::MAX)
        } else {
            None
        }
    }

    /// Says that "Step" has been done (labs that step without an engine).
    pub fn stepped(&mut self) {
        *self.single_step = false;
    }

    /// Ticks `engine` (here or in the worker) with [`Self::steps`] and
    /// records what arrives in `progress` and the status (a divergence
    /// pauses; an error fails).
    pub fn train(&mut self, engine: &mut Net, progress: &mut Progress) -> Option<Snapshot> {
        let taken = engine.steps_taken();
        let steps = self.steps();
        let result = engine.tick(steps, web::now);
        // "Step" is done once a step was trained, not when any snapshot
        // lands (one asked for before the click may arrive first).
        *self.single_step &= engine.steps_taken() == taken;
        if let Some(rate) = progress.slow(steps == Some(u32::MAX), self.now, engine.steps_taken()) {
            let on = self.lab.status.with_untracked(|s| s.badge.clone());
            // Rounded down: a rate just under the threshold (4.97) must not
            // read as the threshold itself ("5.0").
            let rate = (rate * 10.0).floor() / 10.0;
            let said = format!(
                "These settings train about {rate:.1} steps/s here ({on}); a smaller width, depth or number of points trains faster."
            );
            self.lab.messages.update(|m| m.push(said));
        }
        match result? {
            Err(e) => {
                self.failed(&e);
                None
            }
            Ok(snap) => {
                if progress.record(&snap, self.now, self.lab.status) {
                    self.lab.playing.set(false);
                }
                Some(snap)
            }
        }
    }

    /// A fresh run, built: marked as [`Self::started`]; or why it could not
    /// be, marked as [`Self::failed`].
    pub fn start<T>(&self, built: Result<T, Error>) -> Option<T> {
        match built {
            Ok(run) => {
                self.started();
                Some(run)
            }
            Err(e) => {
                self.failed(&e);
                None
            }
        }
    }

    /// Marks a fresh run (new settings) in the status. A run that follows a
    /// divergence plays: lowering the learning rate is the way out of one.
    pub fn started(&self) {
        let (status, playing) = (self.lab.status, self.lab.playing);
        if status.with_untracked(|s| s.phase == Phase::Diverged) {
            playing.set(true);
        }
        let phase = if playing.get_untracked() { Phase::Running } else { Phase::Paused };
        status.update(|st| {
            st.phase = phase;
            st.steps = 0;
            st.train_loss = None;
            st.test_loss = None;
            st.accuracy = [None; 2];
        });
    }

    /// Shows why the run cannot go on.
    pub fn failed(&self, e: &Error) {
        let hint = match e {
            Error::TooLarge { unit: "multiply-adds", .. } => "; lower the width, depth, points or batch size",
            _ => "",
        };
        self.lab.status.update(|st| st.phase = Phase::Failed(format!("This configuration cannot run: {e}{hint}.")));
    }

    /// Sets the phase (labs whose work ends).
    pub fn phase(&self, phase: Phase) {
        if self.lab.status.with_untracked(|s| s.phase != phase) {
            self.lab.status.update(|s| s.phase = phase);
        }
    }

    /// Shows a dismissible message.
    pub fn note(&self, message: String) {
        self.lab.messages.update(|m| m.push(message));
    }
}
