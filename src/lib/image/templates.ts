import type {ProjectType} from './project.js'

/** Project templates `kaos mcp init` offers (folders under templates/). */
export const TEMPLATES: ProjectType[] = ['python', 'typescript']
