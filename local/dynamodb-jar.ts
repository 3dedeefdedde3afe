/**
 * `npm run setup:dynamodb`: fetch Amazon's DynamoDB Local jar into .local/ and compile its
 * loopback launcher (CI runs it once).
 */
import { ensureDynamoJar, ensureDynamoLauncher } from './aws-local';

const dir = ensureDynamoJar((m) => console.log(m));
ensureDynamoLauncher(dir);
console.log(`DynamoDB Local ready in ${dir}`);
