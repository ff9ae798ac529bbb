"""The bulletin's sentences: the headline's key messages and each branch director's page.

Every sentence is a message of ``bulletin.toml`` filled with figures of the content
model; nothing here computes a figure, it only chooses which sentence fits.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartcounter.bulletin.content import BranchPage, BranchRow, BulletinContent, PeerGroup
from smartcounter.bulletin.formats import Formats, capital, in_sentence
from smartcounter.i18n import Lang
from smartcounter.programme.status import MIN_WINDOW_WEEKS, Status, status_name
from smartcounter.views import Pareto, ParetoRow, Triage


class Words:
    """Sentences of one bulletin in its language."""

    def __init__(self, content: BulletinContent, f: Formats) -> None:
        self.c = content
        self.f = f
        self.t = f.t

    # -- small pieces ------------------------------------------------------------------
    def change(self, change_pp: float | None) -> str:
        """'up 1.2 points', 'down 0.4 points', 'unchanged', or 'no figure for last week'."""
        if change_pp is None:
            return self.t("bulletin.words.change_none")
        if round(change_pp, 1) == 0:
            return self.t("bulletin.words.change_flat")
        key = "bulletin.words.change_up" if change_pp > 0 else "bulletin.words.change_down"
        return self.t(key, value=self.f.decimal(abs(change_pp)))

    def listing(self, items: Sequence[str]) -> str:
        """Items joined as a list in the language (A、B和C, A, B and C)."""
        if not items:
            return ""
        if len(items) == 1:
            return items[0]
        sep = self.t("bulletin.words.list_sep")
        return sep.join(items[:-1]) + self.t("bulletin.words.list_and") + items[-1]

    def names(self, items: Sequence[str], cap: int = 6) -> str:
        """At most ``cap`` names as a list, then how many more."""
        if len(items) <= cap:
            return self.listing(items)
        shown = self.t("bulletin.words.list_sep").join(items[:cap])
        return self.t("bulletin.words.list_more", items=shown, count=len(items) - cap)

    def item(self, row: ParetoRow) -> str:
        """A Pareto item with its count and share."""
        return self.t(
            "bulletin.words.item",
            label=in_sentence(row.label, self.f.lang),
            count=self.f.count(row.count),
            share=self.f.pct(row.share, 0),
        )

    def depth_parts(self, triage: Triage) -> list[str]:
        """Visits by triage depth in words ("not triaged 23%", ...)."""
        return [
            self.t(
                "bulletin.words.depth_part",
                depth=in_sentence(self.t(f"bulletin.depth.{d.depth}"), self.f.lang),
                share=self.f.pct(d.share, 0),
            )
            for d in triage.depth
            if d.visits
        ]

    def standing(self, row: BranchRow) -> str:
        """The name of a branch's status (the status model's, never decided here)."""
        return status_name(row.status, self.t)

    def standing_class(self, row: BranchRow) -> str:
        """A CSS class for the status badge."""
        return row.status.tone

    def how_sure_above(self, row: BranchRow) -> str:
        """How sure a benchmark is: over its weeks, the surer lower end of its bounds."""
        b = row.basis
        if b is None:
            return self.t("bulletin.words.sure_above", low=self.f.pct(row.rate.ci_low))
        return self.t("bulletin.words.sure_above_weeks", weeks=b.weeks, low=self.f.pct(b.low))

    def how_sure_below(self, row: BranchRow) -> str:
        """How sure a branch needing help is: over its weeks, the higher upper end."""
        b = row.basis
        if b is None:
            return self.t("bulletin.words.sure_below", high=self.f.pct(row.rate.ci_high))
        return self.t("bulletin.words.sure_below_weeks", weeks=b.weeks, high=self.f.pct(b.high))

    def pair_sentence(self, row: BranchRow) -> str | None:
        """Who the branch is paired with, or whom it helps, this week (None: no pair)."""
        names = {r.branch_id: r.name for r in self.c.branches}
        for p in self.c.pairs:
            if p.branch_id == row.branch_id:
                key = "pair_confirmed" if p.pair_id is not None else "pair_proposed"
                partner = names.get(p.partner_branch_id, p.partner_branch_id)
                return self.t(f"bulletin.words.{key}", partner=partner, since=p.start_week)
        # A partner is named as one only once the centre confirmed the pair.
        helped = [
            names.get(p.branch_id, p.branch_id)
            for p in self.c.pairs
            if p.partner_branch_id == row.branch_id and p.pair_id is not None
        ]
        proposed = [
            names.get(p.branch_id, p.branch_id)
            for p in self.c.pairs
            if p.partner_branch_id == row.branch_id and p.pair_id is None
        ]
        if helped or proposed:
            parts = []
            if helped:
                parts.append(self.t("bulletin.words.pair_helps", names=self.listing(helped)))
            if proposed:
                parts.append(
                    self.t("bulletin.words.pair_helps_proposed", names=self.listing(proposed))
                )
            return "".join(parts) if self.t.lang.value == "zh" else " ".join(parts)
        if row.status is Status.NEEDS_HELP:
            return self.t("bulletin.words.pair_none")
        return None

    def benchmark_notes(self) -> list[str]:
        """Under the list of benchmarks: why a group has none (once for all groups when
        the store holds too few weeks to judge any)."""
        if not self.c.benchmarks_judged:
            held, needed = len(self.c.benchmark_weeks), MIN_WINDOW_WEEKS
            return [self.t("bulletin.words.no_benchmark_young", held=held, needed=needed)]
        return [
            self.t("bulletin.words.group_note", group=g.label, text=self.no_benchmark(g))
            for g in self.c.groups
            if not g.benchmarks
        ]

    def no_benchmark(self, group: PeerGroup) -> str:
        """Why no branch of a group is a benchmark this week."""
        if not any(r.rate.rate is not None for r in group.rows):
            return self.t("bulletin.words.no_benchmark_empty")
        return self.t(
            "bulletin.words.no_benchmark",
            weeks=len(self.c.benchmark_weeks),
            target=self.f.pct(self.c.target, 0),
        )

    def no_help(self) -> str:
        """Why no branch is named as needing help this week."""
        if not self.c.recent_judged:
            return self.t(
                "bulletin.words.no_help_young",
                held=len(self.c.recent_weeks),
                needed=MIN_WINDOW_WEEKS,
            )
        return self.t("bulletin.words.no_help", target=self.f.pct(self.c.target, 0))

    def no_movers(self) -> str:
        """Why a list of risers or fallers is empty."""
        if not any(r.previous_rate is not None for r in self.c.branches):
            return self.t("bulletin.words.movers_no_previous")
        return self.t("bulletin.words.movers_none", least=self.c.min_migratable)

    # -- the headline ------------------------------------------------------------------
    def scope(self) -> str:
        """The network or the region the bulletin covers, as it reads in a sentence."""
        if self.c.region:
            return self.t("bulletin.scope.region", region=self.c.region)
        return self.t("bulletin.scope.network")

    def issue_line(self) -> str:
        """The issuing block: issuer, issue number of the year, day of issue."""
        i = self.c.issue
        return self.t(
            "bulletin.issue_line",
            issuer=i.issuer,
            year=i.year,
            number=i.number,
            date=self.f.date(i.issued),
        )

    def scope_title(self) -> str:
        """The scope as a title or label (capitalised in English)."""
        return capital(self.scope())

    def key_messages(self) -> list[str]:
        """Four to six sentences that say what the week was."""
        c, f, t, h = self.c, self.f, self.t, self.c.headline
        out = []
        if h.partial and h.last_day is not None:
            out.append(
                t(
                    "bulletin.words.headline_partial",
                    last=f.date(h.last_day),
                    days=h.days,
                    previous=h.previous_days,
                )
            )
        out += [
            t(
                "bulletin.words.headline_rate",
                scope=self.scope(),
                rate=f.pct(h.rate.rate),
                interval=f.interval(h.rate.ci_low, h.rate.ci_high),
                change=self.change(h.change_pp),
            ),
            t(
                "bulletin.words.headline_target",
                reporting=f.count(h.branches_reporting),
                at_target=f.count(h.at_target),
                share=f.pct(h.share_at_target, 0),
                target=f.pct(c.target, 0),
            ),
        ]
        if h.shortfall > 0:
            out.append(t("bulletin.words.headline_shortfall", shortfall=f.count(h.shortfall)))
        # The surest first: a list cut at six names must not hide the clearest cases.
        benchmarks = [r.name for r in surest_first([r for g in c.groups for r in g.benchmarks])]
        if not c.benchmarks_judged:
            out.append(
                t(
                    "bulletin.words.headline_young",
                    held=len(c.benchmark_weeks),
                    needed=MIN_WINDOW_WEEKS,
                )
            )
        elif benchmarks:
            out.append(
                t(
                    "bulletin.words.headline_benchmarks",
                    count=len(benchmarks),
                    names=self.names(benchmarks),
                )
            )
        else:
            out.append(t("bulletin.words.headline_no_benchmarks"))
        helped = [r.name for r in surest_first([r for g in c.groups for r in g.needs_help])]
        if helped:
            out.append(
                t("bulletin.words.headline_help", count=len(helped), names=self.names(helped))
            )
        business, reason = c.unmigrated[0], c.unmigrated[1]
        if business.rows and reason.rows:
            out.append(
                t(
                    "bulletin.words.headline_unmigrated",
                    total=f.count(business.total),
                    business=self.item(business.rows[0]),
                    reason=self.item(reason.rows[0]),
                )
            )
        return out

    # -- a branch page -----------------------------------------------------------------
    def branch_paragraphs(self, page: BranchPage) -> list[str]:
        """What the branch director reads first: rate, rank, target, causes, triage, advice."""
        r, f, t = page.row, self.f, self.t
        if r.rate.rate is None:
            return [t("bulletin.words.branch_no_data", name=r.name)]
        out = [
            t(
                "bulletin.words.branch_rate",
                rate=f.pct(r.rate.rate),
                migratable=f.count(r.rate.migratable),
                migrated=f.count(r.rate.migrated),
                interval=f.interval(r.rate.ci_low, r.rate.ci_high),
                change=self.change(r.change_pp),
            )
        ]
        if r.peer_rank is not None and r.network_rank is not None:
            out.append(
                t(
                    "bulletin.words.branch_rank",
                    peers=f.count(r.peers),
                    group=self.t(f"bulletin.group_in_text.{r.branch_type}"),
                    peer_rank=r.peer_rank,
                    network=f.count(self.c.network_ranked),
                    network_rank=r.network_rank,
                )
            )
        out.append(self._target_sentence(r))
        pair = self.pair_sentence(r)
        if pair:
            out.append(pair)
        month, quarter = r.month_rate, r.quarter_rate
        if month is not None and quarter is not None and month.migratable >= self.c.min_migratable:
            out.append(
                t(
                    "bulletin.words.branch_to_date",
                    month_name=f.month(self.c.month_start),
                    end=f.date(self.c.to_date_end),
                    month=f.pct(month.rate),
                    migratable=f.count(month.migratable),
                    quarter_name=f.quarter(self.c.quarter_start),
                    quarter=f.pct(quarter.rate),
                )
            )
        unmigrated = self._unmigrated_sentence(page.unmigrated)
        if unmigrated:
            out.append(unmigrated)
        triage = self._triage_sentence(page)
        if triage:
            out.append(triage)
        reasons = page.unmigrated[1].rows
        if reasons and r.status.below:
            out.append(
                t(f"bulletin.advice.{reasons[0].value}")
                if reasons[0].value != "unknown"
                else t("bulletin.advice.unknown")
            )
        return out

    def _target_sentence(self, r: BranchRow) -> str:
        f, t, st = self.f, self.t, r.status
        target = f.pct(self.c.target, 0)
        recent = len(self.c.recent_weeks)
        if st is Status.TOO_FEW:
            return t(
                "bulletin.words.branch_few",
                n=f.count(r.rate.migratable),
                least=self.c.min_migratable,
            )
        b = r.basis
        if st is Status.BENCHMARK and b is not None:
            return t(
                "bulletin.words.branch_benchmark",
                target=target,
                weeks=b.weeks,
                rate=f.pct(b.rate),
                low=f.pct(b.low),
            )
        if st is Status.ADVANCED:
            return t("bulletin.words.branch_advanced", target=target, recent=recent)
        if st.at_or_above_target:
            return t("bulletin.words.branch_at_target", target=target)
        gap = (self.c.target - (r.rate.rate or 0.0)) * 100
        sentence = t(
            "bulletin.words.branch_below",
            target=target,
            gap=f.decimal(gap),
            shortfall=f.count(r.shortfall),
        )
        if st is Status.NEEDS_HELP and b is not None:
            sentence += t(
                "bulletin.words.branch_needs_help",
                recent=b.weeks,
                rate=f.pct(b.rate),
                high=f.pct(b.high),
            )
        elif st is Status.BELOW_TARGET:
            sentence += t("bulletin.words.branch_sure_below", high=f.pct(r.rate.ci_high))
        else:
            sentence += t("bulletin.words.branch_within_noise")
        if r.weeks_below_target >= 2:
            sentence += t("bulletin.words.branch_streak", weeks=r.weeks_below_target)
        return sentence

    def _unmigrated_sentence(self, paretos: Sequence[Pareto]) -> str:
        business, reason, _staff, hour, age = paretos
        if not business.rows:
            return self.t("bulletin.words.branch_all_migrated")
        top = [self.item(x) for x in business.rows[:2]]
        parts = [
            self.t(
                "bulletin.words.branch_unmigrated",
                total=self.f.count(business.total),
                items=self.listing(top),
            )
        ]
        if reason.rows:
            parts.append(self.t("bulletin.words.branch_reason", reason=self.item(reason.rows[0])))
        if hour.rows:
            parts.append(
                self.t(
                    "bulletin.words.branch_hour",
                    hour=hour.rows[0].label,
                    share=self.f.pct(hour.rows[0].share, 0),
                )
            )
        known_age = [x for x in age.rows if x.value != "unknown"]
        if known_age:
            parts.append(
                self.t(
                    "bulletin.words.branch_age",
                    age=known_age[0].label,
                    share=self.f.pct(known_age[0].share, 0),
                )
            )
        return "".join(parts) if self.f.lang is Lang.ZH else " ".join(parts)

    def _triage_sentence(self, page: BranchPage) -> str:
        stages = page.triage.stages
        if not any(s.touches for s in stages):
            return self.t("bulletin.words.branch_no_triage")
        pieces = [
            self.t(
                f"bulletin.words.stage_{s.stage}",
                touches=self.f.count(s.touches),
                rate=self.f.pct(s.acceptance_rate, 0),
            )
            for s in stages
            if s.touches
        ]
        untouched = next((d for d in page.triage.depth if d.depth == 0), None)
        tail = ""
        if untouched is not None and untouched.share is not None:
            tail = self.t("bulletin.words.branch_untriaged", share=self.f.pct(untouched.share, 0))
        return self.t("bulletin.words.branch_triage", stages=self.listing(pieces)) + tail


def surest_first(rows: Sequence[BranchRow]) -> list[BranchRow]:
    """Benchmarks by how surely they are high, branches needing help by how surely low:
    the bound their status rests on (the week's rate where there is none), surest first."""

    def key(r: BranchRow) -> float:
        b = r.basis
        if r.status is Status.NEEDS_HELP:
            high = b.high if b is not None and b.high is not None else r.rate.rate
            return high if high is not None else 1.0
        low = b.low if b is not None and b.low is not None else r.rate.rate
        return -(low if low is not None else 0.0)

    return sorted(rows, key=key)
