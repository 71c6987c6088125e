package dev.veilraft.node.demo;

import dev.veilraft.node.NodeConfig;
import java.net.URI;
import java.nio.file.Path;

/** Starts demo nodes: each in its own JVM, or all in this one. */
interface NodeLauncher {
  /** A running node as the demo sees it. */
  interface Handle extends AutoCloseable {
    String nodeId();

    String measurementHex();

    long epoch();

    @Override
    void close();
  }

  /** Starts the founder ({@code peer} null) or a joiner; throws with the node's own reason when it fails. */
  Handle start(String name, NodeConfig config, Path configFile, URI peer) throws DemoException, InterruptedException;

  /** Starts a node built from altered code; returns the reason it was refused, or throws if it was admitted. */
  String startRogue(NodeConfig config, Path configFile, URI peer) throws DemoException, InterruptedException;

  /** A failure of a demo step, with a one-line reason. */
  final class DemoException extends Exception {
    private static final long serialVersionUID = 1L;

    DemoException(String message) {
      super(message);
    }
  }
}
