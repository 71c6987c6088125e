package dev.veilraft.node.cli;

import dev.veilraft.node.ConfigException;
import dev.veilraft.node.NodeConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * How the commands read a node's configuration: the file, then the {@code VEILRAFT_*}
 * environment overrides (see {@link dev.veilraft.node.ConfigEnvironment}), validated together.
 */
final class ConfigFiles {
  /** Tests replace the process environment; null means {@link System#getenv()}. */
  static volatile Map<String, String> environmentOverride;

  private ConfigFiles() {}

  static NodeConfig read(Path file) throws ConfigException {
    Map<String, String> environment = environmentOverride;
    return NodeConfig.read(file, environment != null ? environment : System.getenv());
  }
}
