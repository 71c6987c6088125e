package dev.veilraft.node.api;

import java.net.Socket;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents the node's CA-issued web certificate to clients that ask for one of its DNS names
 * (SNI), and the node's self-signed identity certificate to everyone else (veilraft clients and
 * peers, which pin the identity key from the attested cluster description). Both keys are bound
 * in the node's evidence.
 */
final class SniKeyManager extends X509ExtendedKeyManager {
  static final String IDENTITY = "identity";
  static final String WEB = "web";

  private final KeyStore.PrivateKeyEntry identity;
  private final KeyStore.PrivateKeyEntry web;
  private final List<String> webNames;

  SniKeyManager(KeyStore.PrivateKeyEntry identity, KeyStore.PrivateKeyEntry web) {
    this.identity = identity;
    this.web = web;
    this.webNames = dnsNames((X509Certificate) web.getCertificate());
  }

  private static List<String> dnsNames(X509Certificate certificate) {
    List<String> names = new ArrayList<>();
    try {
      var alternatives = certificate.getSubjectAlternativeNames();
      if (alternatives != null) {
        for (List<?> entry : alternatives) {
          if (entry.size() == 2 && Integer.valueOf(2).equals(entry.get(0))) {
            names.add(((String) entry.get(1)).toLowerCase(Locale.ROOT));
          }
        }
      }
    } catch (CertificateParsingException e) {
      throw new IllegalArgumentException("the web TLS certificate's subject alternative names do not parse: "
          + e.getMessage(), e);
    }
    if (names.isEmpty()) {
      throw new IllegalArgumentException("the web TLS certificate names no DNS host (subjectAltName dNSName)");
    }
    return names;
  }

  /** Whether {@code host} is one of the web certificate's names ({@code *.example.org} covers one label). */
  boolean covers(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    for (String name : webNames) {
      if (name.equals(h)) {
        return true;
      }
      if (name.startsWith("*.") && h.endsWith(name.substring(1)) && h.indexOf('.') == h.length() - name.length() + 1) {
        return true;
      }
    }
    return false;
  }

  private String choose(SSLSession handshake) {
    if (handshake instanceof ExtendedSSLSession extended) {
      for (SNIServerName name : extended.getRequestedServerNames()) {
        if (name instanceof SNIHostName host && covers(host.getAsciiName())) {
          return WEB;
        }
      }
    }
    return IDENTITY;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return "EC".equals(keyType) ? choose(engine == null ? null : engine.getHandshakeSession()) : null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    if (!"EC".equals(keyType)) {
      return null;
    }
    return socket instanceof javax.net.ssl.SSLSocket ssl ? choose(ssl.getHandshakeSession()) : IDENTITY;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    KeyStore.PrivateKeyEntry entry = entry(alias);
    return entry == null ? null : java.util.Arrays.stream(entry.getCertificateChain()).map(c -> (X509Certificate) c)
        .toArray(X509Certificate[]::new);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    KeyStore.PrivateKeyEntry entry = entry(alias);
    return entry == null ? null : entry.getPrivateKey();
  }

  private KeyStore.PrivateKeyEntry entry(String alias) {
    return IDENTITY.equals(alias) ? identity : WEB.equals(alias) ? web : null;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return "EC".equals(keyType) ? new String[] {IDENTITY, WEB} : null;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}
