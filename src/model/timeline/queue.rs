//! Arrivals due, in the order they were due, and those waiting for room
//! under the ceiling or for money (docs/MODEL.md §2.11).

use super::Admit;
use crate::scenario::OverCeiling;

/// Personnel due to arrive: a pledged wave, or a relief.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pending {
    pub(super) due: u32,
    pub(super) contributor: usize,
    /// People still to come.
    pub(super) size: u32,
    /// The pledged wave's number, or `None` for a relief.
    pub(super) wave: Option<u32>,
}

/// Pending arrivals, in order of (due day, contributor, when queued).
#[derive(Debug, Default, Clone)]
pub(super) struct Queue {
    items: Vec<Pending>,
    /// Contributors whose next arrival waits for money today.
    blocked: Vec<usize>,
    /// Contributors with an arrival turned away today (no room).
    turned: Vec<usize>,
}

impl Queue {
    pub(super) fn clear(&mut self) {
        self.items.clear();
    }

    /// Queues an arrival behind every other due the same day or earlier
    /// from the same or an earlier contributor.
    pub(super) fn push(&mut self, pending: Pending) {
        let at = self
            .items
            .partition_point(|p| (p.due, p.contributor) <= (pending.due, pending.contributor));
        self.items.insert(at, pending);
    }

    /// Offers each arrival due by `day` its place, in order: at most `room`
    /// people come (the ceiling), the rest wait or are turned away as
    /// `over` says; `offer` lets `size` people of one arrival in, keeps it
    /// waiting (then its contingent's later arrivals wait too) or drops it.
    pub(super) fn admit(
        &mut self,
        day: u32,
        over: OverCeiling,
        room: &mut u64,
        mut offer: impl FnMut(&Pending, u32) -> Admit,
    ) {
        self.blocked.clear();
        self.turned.clear();
        let due = self.items.partition_point(|p| p.due <= day);
        if due == 0 {
            return;
        }
        for p in &mut self.items[..due] {
            if self.blocked.contains(&p.contributor) {
                continue;
            }
            let fits = u64::from(p.size).min(*room) as u32;
            if fits > 0 {
                match offer(p, fits) {
                    Admit::Done => {
                        *room -= u64::from(fits);
                        p.size -= fits;
                    }
                    Admit::Wait => {
                        self.blocked.push(p.contributor);
                        continue;
                    }
                    Admit::Drop => p.size = 0,
                }
            }
            if p.size > 0 && over == OverCeiling::TurnAway {
                p.size = 0;
                self.turned.push(p.contributor);
            }
        }
        let mut k = 0;
        self.items.retain(|p| {
            k += 1;
            k > due || p.size > 0
        });
    }

    /// The first day after `day` on which an arrival falls due (`u32::MAX`:
    /// none). Those due by `day` and still waiting are offered again on
    /// every day anything happens: only a departure, a payment or a new
    /// ceiling can make room or money for them.
    pub(super) fn next_due_after(&self, day: u32) -> u32 {
        let later = self.items.partition_point(|p| p.due <= day);
        self.items.get(later).map_or(u32::MAX, |p| p.due)
    }

    /// The contributors with an arrival turned away in the last
    /// [`Queue::admit`].
    pub(super) fn turned_away(&self) -> impl Iterator<Item = usize> + '_ {
        self.turned.iter().copied()
    }

    /// Whether a relief of contributor `c` is due or waiting.
    pub(super) fn has_relief(&self, c: usize) -> bool {
        self.items.iter().any(|p| p.contributor == c && p.wave.is_none())
    }

    /// Drops every arrival of contributor `c` (it withdrew).
    pub(super) fn drop_contributor(&mut self, c: usize) {
        self.items.retain(|p| p.contributor != c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(due: u32, contributor: usize, size: u32) -> Pending {
        Pending {
            due,
            contributor,
            size,
            wave: None,
        }
    }

    /// Under a ceiling, arrivals come in the order they were due; the rest
    /// waits, or with turn_away never comes.
    #[test]
    fn the_ceiling_lets_in_what_fits_in_order() {
        for (over, left) in [
            (OverCeiling::Wait, vec![(0, 30), (2, 50)]),
            (OverCeiling::TurnAway, vec![]),
        ] {
            let mut queue = Queue::default();
            queue.push(pending(5, 2, 50));
            queue.push(pending(3, 1, 80));
            queue.push(pending(5, 0, 40));
            queue.push(pending(9, 0, 10));
            let mut room = 90;
            let mut came = Vec::new();
            queue.admit(5, over, &mut room, |p, size| {
                came.push((p.contributor, size));
                Admit::Done
            });
            assert_eq!(came, [(1, 80), (0, 10)]);
            assert_eq!(room, 0);
            let waiting: Vec<(usize, u32)> = queue
                .items
                .iter()
                .filter(|p| p.due <= 5)
                .map(|p| (p.contributor, p.size))
                .collect();
            assert_eq!(waiting, left, "{over:?}");
            assert_eq!(queue.items.last().map(|p| p.due), Some(9));
        }
    }

    /// A contingent waiting for money holds back its later arrivals, not
    /// other contingents'.
    #[test]
    fn waiting_for_money_holds_back_the_same_contingent_only() {
        let mut queue = Queue::default();
        queue.push(pending(1, 0, 10));
        queue.push(pending(2, 0, 10));
        queue.push(pending(2, 1, 10));
        let mut room = u64::MAX;
        let mut came = Vec::new();
        queue.admit(2, OverCeiling::Wait, &mut room, |p, size| {
            if p.contributor == 0 {
                Admit::Wait
            } else {
                came.push((p.contributor, size));
                Admit::Done
            }
        });
        assert_eq!(came, [(1, 10)]);
        assert_eq!(queue.items.len(), 2);
    }
}
