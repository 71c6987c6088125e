package dev.veilraft.simulator.workload;

/**
 * A workload the simulator has no client for yet: it is refused with this message rather than
 * replaced by something else. The node serves the mint and the relay; what is missing is the
 * simulator's Cashu wallet and Nostr client, with their checkers (see the simulator README).
 */
public final class UnavailableWorkload {
  private UnavailableWorkload() {}

  public static String reason(String name) {
    return "workload '" + name + "' not available yet: the simulator has no "
        + (name.equals("mint") ? "Cashu wallet for the mint (/cashu/v1/...)" : "Nostr client for the relay (/nostr)")
        + " yet; use --workload kv";
  }
}
