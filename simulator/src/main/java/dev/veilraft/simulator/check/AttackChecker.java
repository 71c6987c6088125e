package dev.veilraft.simulator.check;

import dev.veilraft.simulator.fault.FaultWindow;
import java.util.List;

/** Every attack of the run was refused for the right reason (see each window's outcome). */
public final class AttackChecker {
  public static final String NAME = "attacks";

  public Verdict check(List<FaultWindow> windows) {
    List<FaultWindow> attacks = windows.stream().filter(w -> w.kind().attack()).toList();
    for (FaultWindow w : attacks) {
      if (!w.passed()) {
        return Verdict.fail(NAME, Verdict.Kind.SAFETY, w.kind().cliName() + " (#" + w.index() + "): " + w.outcome());
      }
    }
    return Verdict.pass(NAME, Verdict.Kind.SAFETY, attacks.size() + " attacks, each refused for its reason");
  }
}
