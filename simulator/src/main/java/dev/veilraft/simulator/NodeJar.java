package dev.veilraft.simulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Finds the jar node processes run: the one given, the node module's jar, or this jar (which holds the node). */
public final class NodeJar {
  static final String NODE_JAR = "node/target/veilraft.jar";

  private NodeJar() {}

  public static Path find(Path given) throws IOException {
    if (given != null) {
      if (!Files.isRegularFile(given)) {
        throw new IOException("--node-jar " + given + " is not a file");
      }
      return given.toAbsolutePath();
    }
    List<Path> candidates = new ArrayList<>();
    Optional<Path> self = runningJar();
    // simulator/target/veilraft-simulator.jar -> node/target/veilraft.jar of the same checkout.
    self.map(j -> j.toAbsolutePath().getParent()).map(Path::getParent).map(Path::getParent)
        .ifPresent(repo -> candidates.add(repo.resolve(NODE_JAR)));
    candidates.add(Path.of(NODE_JAR).toAbsolutePath());
    self.ifPresent(candidates::add);
    for (Path p : candidates) {
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new IOException("no node jar found (looked at " + candidates + "): build it with 'mvn -q -DskipTests package' "
        + "or give --node-jar");
  }

  /** The jar this simulator runs from, if it runs from one. */
  static Optional<Path> runningJar() {
    try {
      Path path = Path.of(NodeJar.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
    } catch (Exception e) {
      return Optional.empty();
    }
  }
}
