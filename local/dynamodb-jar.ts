/** `npm run setup:dynamodb`: fetch Amazon's DynamoDB Local jar into .local/ (CI runs it once). */
import { ensureDynamoJar } from './aws-local';

const dir = ensureDynamoJar((m) => console.log(m));
console.log(`DynamoDB Local ready in ${dir}`);
