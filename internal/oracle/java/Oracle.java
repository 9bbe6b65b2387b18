// Oracle connects to a TLS server the way a Java HTTPS client does (the
// JDK's own PKIX trust manager, endpoint identification "HTTPS", default
// security properties) and prints one line: "ok", or "fail cert" (the
// trust manager refused the chain) or "fail handshake" (anything else)
// followed by the exception chain's classes and messages.
//
// Usage: java Oracle HOST PORT SNI TRUSTSTORE PASSWORD
//
// PORT may be a comma-separated list: one line a port, in order.
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public final class Oracle {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        String sni = args[2];
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(args[3])) {
            ks.load(in, args[4].toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        for (String p : args[1].split(",")) {
            connect(ctx, host, Integer.parseInt(p), sni);
        }
    }

    private static void connect(SSLContext ctx, String host, int port, String sni) {
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress(host, port), 10000);
            raw.setSoTimeout(10000);
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, sni, port, true)) {
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                s.startHandshake();
            }
            System.out.println("ok");
        } catch (Exception e) {
            StringBuilder b = new StringBuilder(aboutCertificate(e) ? "fail cert" : "fail handshake");
            for (Throwable t = e; t != null; t = t.getCause()) {
                b.append(" | ").append(t.getClass().getName()).append(": ").append(t.getMessage());
            }
            System.out.println(b.toString().replace('\n', ' '));
        }
    }

    // aboutCertificate reports whether the failure is the trust manager's
    // (the chain, its path, its validity or its names) rather than the
    // handshake's.
    private static boolean aboutCertificate(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateException
                    || t instanceof java.security.GeneralSecurityException && t.getClass().getName().startsWith("java.security.cert.")
                    || t.getClass().getName().equals("sun.security.validator.ValidatorException")) {
                return true;
            }
        }
        return false;
    }
}
