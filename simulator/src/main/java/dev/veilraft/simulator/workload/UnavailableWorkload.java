package dev.veilraft.simulator.workload;

/**
 * A workload the simulator has no client for yet: it is refused with this message rather than
 * replaced by something else. The node serves the relay; what is missing is the simulator's Nostr
 * client and its checker (see the simulator README).
 */
public final class UnavailableWorkload {
  private UnavailableWorkload() {}

  public static String reason(String name) {
    return "workload '" + name + "' not available yet: the simulator has no Nostr client for the relay (/nostr) yet; "
        + "use --workload kv or mint";
  }
}
