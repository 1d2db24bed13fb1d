import { jestProject } from '../../jest.preset';

export default jestProject('upshift-cli', __dirname);
