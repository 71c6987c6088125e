package dev.veilraft.simulator.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ScheduleTest {
  private static final Set<FaultKind> JOINING_ATTACKS = EnumSet.of(FaultKind.ROGUE_MEASUREMENT,
      FaultKind.REPLAYED_EVIDENCE, FaultKind.FORGED_SIGNATURE, FaultKind.DEBUG_POLICY, FaultKind.STOLEN_IDENTITY);

  @Test
  void theSameSeedGivesTheSameSchedule() {
    // Proves replayability: a seed fully determines the schedule; another seed gives another one.
    Set<FaultKind> kinds = EnumSet.of(FaultKind.CRASH, FaultKind.PARTITION, FaultKind.PAUSE, FaultKind.ROGUE_MEASUREMENT);
    Schedule a = Schedule.generate(77, kinds, Duration.ofSeconds(60), 5);
    assertThat(Schedule.generate(77, kinds, Duration.ofSeconds(60), 5)).isEqualTo(a);
    assertThat(Schedule.generate(78, kinds, Duration.ofSeconds(60), 5).faults()).isNotEqualTo(a.faults());
  }

  @Test
  void everyRequestedKindAppearsAndFaultsDoNotOverlap() {
    // Proves coverage and the one-fault-at-a-time rule, for many seeds, with faults only before the quiet tail.
    Set<FaultKind> kinds = EnumSet.allOf(FaultKind.class);
    kinds.remove(FaultKind.DISK);
    for (long seed = 0; seed < 200; seed++) {
      Schedule s = Schedule.generate(seed, kinds, Duration.ofSeconds(40), 3);
      assertThat(s.faults().stream().map(f -> f.fault().kind()).collect(Collectors.toSet())).isEqualTo(kinds);
      for (int i = 1; i < s.faults().size(); i++) {
        ScheduledFault prev = s.faults().get(i - 1);
        assertThat(s.faults().get(i).atMs()).isGreaterThan(prev.atMs() + prev.holdMs());
      }
      assertThat(s.faults().get(0).atMs()).isEqualTo(Schedule.warmupMs);
    }
  }

  @Test
  void attackersAndJoinersGetTheirOwnSpareSlots() {
    // Proves every joining attacker uses a slot of its own after the members, so none shares an identity.
    Schedule s = Schedule.generate(5, JOINING_ATTACKS, Duration.ofSeconds(30), 3);
    Set<Integer> slots = s.faults().stream().map(f -> ((Fault.Attack) f.fault()).slot()).collect(Collectors.toSet());
    assertThat(slots).hasSize(5).allMatch(slot -> slot >= 3 && slot < 3 + s.spares());
  }

  @Test
  void faultNamesParseAndUnknownOnesAreNamed() {
    // Proves the --faults list: 'all', every documented name, and a clear error for a typo.
    assertThat(FaultKind.parseList("all")).isEqualTo(EnumSet.allOf(FaultKind.class));
    assertThat(FaultKind.parseList("crash, tamper-files")).containsExactly(FaultKind.CRASH, FaultKind.TAMPER_FILES);
    assertThat(FaultKind.parseList("none")).isEmpty();
    assertThatThrownBy(() -> FaultKind.parseList("crash,parition")).hasMessageContaining("unknown fault 'parition'")
        .hasMessageContaining("partition");
  }
}
