package dev.chord.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * A {@link DataSource} that hands every call to a real one and counts the statements executed
 * through it: each execute call is one round trip to PostgreSQL. Test-side bookkeeping around the
 * real driver, not a stand-in for the database.
 */
final class CountingDataSource {
  private final AtomicLong statements = new AtomicLong();
  private final DataSource counted;

  CountingDataSource(DataSource real) {
    this.counted = proxy(DataSource.class, real);
  }

  DataSource dataSource() {
    return counted;
  }

  long statements() {
    return statements.get();
  }

  @SuppressWarnings("unchecked")
  private <T> T proxy(Class<T> type, T real) {
    InvocationHandler handler =
        (self, method, args) -> {
          if (method.getName().startsWith("execute")) {
            statements.incrementAndGet();
          }
          Object result;
          try {
            result = method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (result instanceof Connection c && method.getReturnType() == Connection.class) {
            return proxy(Connection.class, c);
          }
          if (result instanceof Statement s
              && Statement.class.isAssignableFrom(method.getReturnType())) {
            return proxy((Class<Statement>) method.getReturnType(), s);
          }
          return result;
        };
    return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
  }
}
