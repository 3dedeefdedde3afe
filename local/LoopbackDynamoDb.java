/*
 * Starts Amazon's DynamoDB Local bound to one address (127.0.0.1 unless -Ddynamodb.host says
 * otherwise). DynamoDB Local has no bind option: its Jetty server listens on every interface.
 * This launcher builds the server exactly as DynamoDB Local's own main does, sets the host of
 * its connector before it starts, and refuses to run if any connector would listen elsewhere.
 * Run with Java's source launcher (no compile step):
 *   java -cp 'DynamoDBLocal.jar:DynamoDBLocal_lib/*' LoopbackDynamoDb.java -inMemory -port 8000
 */
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public class LoopbackDynamoDb {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("dynamodb.host", "127.0.0.1");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local has no connector");
    for (Connector c : connectors) {
      if (!(c instanceof ServerConnector)) throw new IllegalStateException("unexpected connector " + c);
      ((ServerConnector) c).setHost(host);
    }
    proxy.start();
    for (Connector c : server.getConnectors()) {
      if (!host.equals(((ServerConnector) c).getHost())) {
        proxy.stop();
        throw new IllegalStateException("DynamoDB Local is not bound to " + host);
      }
    }
    System.err.println("DynamoDB Local listening on " + host);
  }
}
