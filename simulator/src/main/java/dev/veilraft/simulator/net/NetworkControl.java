package dev.veilraft.simulator.net;

/**
 * The faultable network between the nodes of a cluster: one directed link per ordered pair of
 * slots. A link is the connections its source node dials to its target node; both directions of
 * bytes on those connections share its behaviour (a request and its answer travel together, as
 * Raft's gRPC calls do), so a one-way cut still silences both directions of that link's calls.
 */
public interface NetworkControl {
  int slots();

  void set(int from, int to, LinkBehaviour behaviour);

  LinkBehaviour get(int from, int to);

  /** Cuts both links between {@code a} and {@code b}. */
  default void cutBetween(int a, int b) {
    set(a, b, LinkBehaviour.CUT);
    set(b, a, LinkBehaviour.CUT);
  }

  /** Every link healthy again. */
  void healAll();

  /** Bytes forwarded so far over all links (a sanity check that traffic does go through the proxies). */
  long bytesForwarded();
}
